using PartialLoRA.Experiments;
using static PartialLoRA.Tests.Experiments.ExperimentSupport;

namespace PartialLoRA.Tests.Experiments;

public class ProtocolSummaryTests
{
    // 20 runs (4 seeds × 5 rates) with validation v_i = i/100 and test t_i = i/200 + 0.5.
    private static List<RunRecord> Twenty(string method = "lora")
    {
        var runs = new List<RunRecord>();
        int i = 0;
        foreach (var seed in new long[] { 0, 1, 2, 3 })
            foreach (var lr in new[] { 1e-4, 2.66e-4, 7.07e-4, 1.88e-3, 5e-3 })
            {
                runs.Add(Record(Config(method, seed, lr), i / 100.0, i / 200.0 + 0.5, trainable: 1000 + i));
                i++;
            }
        return runs;
    }

    [Fact]
    public void Top_5_by_validation_mean_and_sample_std_of_test()
    {
        var row = Assert.Single(ProtocolSummary.Summarize(Twenty(), 5));
        Assert.Equal(20, row.Runs);
        // Best five by validation: i = 19..15.
        Assert.Equal([0.19, 0.18, 0.17, 0.16, 0.15], row.Selected.Select(r => r.Validation!["accuracy"]));
        Assert.Equal(0.17, row.Validation.Mean, 12);
        // Test scores 0.595, 0.59, 0.585, 0.58, 0.575: mean 0.585, sample std √(Σd²/4) = √(0.00025/4) = 0.0079057
        Assert.Equal(0.585, row.Test["accuracy"].Mean, 12);
        Assert.Equal(Math.Sqrt(0.00025 / 4), row.Test["accuracy"].Std, 12);
        Assert.Equal(1017, row.TrainableParameters.Mean, 12);
    }

    [Fact]
    public void Selection_ignores_test_scores_and_breaks_ties_by_rate_then_seed()
    {
        var runs = new[]
        {
            Record(Config(seed: 1, lr: 1e-3), 0.9, 0.10),
            Record(Config(seed: 0, lr: 1e-3), 0.9, 0.20),
            Record(Config(seed: 0, lr: 1e-4), 0.9, 0.30),
            Record(Config(seed: 0, lr: 5e-3), 0.5, 0.99),
        };
        var row = Assert.Single(ProtocolSummary.Summarize(runs, 2));
        Assert.Equal([(1e-4, 0L), (1e-3, 0L)], row.Selected.Select(r => (r.LearningRate, r.Seed)));
        Assert.Equal(0.25, row.Test["accuracy"].Mean, 12);
    }

    [Fact]
    public void Diverged_runs_are_counted_but_never_selected()
    {
        var runs = Twenty().Take(3).ToList();
        runs.Add(RunRecord.DivergedRun(Config(seed: 9), "lora", "accuracy", 1000, 0.1, "the gradient norm is NaN", null));
        var row = Assert.Single(ProtocolSummary.Summarize(runs, 5));
        Assert.Equal(4, row.Runs);
        Assert.Equal(1, row.Diverged);
        Assert.Equal(3, row.Selected.Count);
    }

    [Fact]
    public void One_row_per_model_dataset_and_method_label()
    {
        var runs = Twenty("lora").Concat(Twenty("full")).Append(Record(Config("lora", dataset: "cola"), 0.5, 0.5)).ToList();
        var rows = ProtocolSummary.Summarize(runs, 5);
        Assert.Equal([("synthetic-blobs", "full"), ("synthetic-blobs", "lora"), ("cola", "lora")],
            rows.Select(r => (r.Dataset, r.Method)).OrderBy(x => x.Dataset == "cola"));
    }

    [Fact]
    public void Tables_as_csv_markdown_and_dataframe()
    {
        var rows = ProtocolSummary.Summarize(Twenty("lora").Concat(Twenty("full")).ToList(), 5);
        var csv = ResultTables.SummaryCsv(rows).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("model,dataset,method,runs,diverged,selected,selection_metric,validation_mean,validation_std,test_accuracy_mean,test_accuracy_std,trainable_parameters,wall_seconds_mean", csv[0]);
        Assert.StartsWith("tiny-mlp,synthetic-blobs,full,20,0,5,accuracy,0.17", csv[1]);
        var md = ResultTables.SummaryMarkdown(rows, 5);
        Assert.Contains("| tiny-mlp | synthetic-blobs | lora | 20 | 17.00 ± 1.58 (accuracy) | 58.50 ± 0.79 | 1.0k |", md);
        var df = ResultTables.SummaryFrame(rows);
        Assert.Equal(2, df.Rows.Count);
        Assert.Equal(0.585, (double)df["test_accuracy_mean"][1]!, 12);
        Assert.Equal("lora", df["method"][1]);
        var runsFrame = ResultTables.RunsFrame(Twenty());
        Assert.Equal(20, runsFrame.Rows.Count);
        Assert.Equal(0.19, (double)runsFrame["validation_accuracy"][19]!, 12);
        var runsCsv = ResultTables.RunsCsv(Twenty()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(21, runsCsv.Length);
        Assert.StartsWith("key,model,dataset,method,seed,learning_rate,status,validation_accuracy,test_accuracy,", runsCsv[0]);
    }
}
