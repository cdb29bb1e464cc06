using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;

namespace PartialLoRA.Experiments;

/// <summary>
/// Tables from the store: the protocol summary (one row per model × dataset × method) and the per-run list, as
/// CSV (raw fractions), Markdown (percent, "mean ± std" as the paper prints) and <see cref="DataFrame"/> for
/// notebooks.
/// </summary>
public static class ResultTables
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string SummaryCsv(IReadOnlyList<SummaryRow> rows)
    {
        var tests = TestMetrics(rows);
        var sb = new StringBuilder();
        var header = new List<string> { "model", "dataset", "method", "runs", "diverged", "selected", "selection_metric", "validation_mean", "validation_std" };
        foreach (var t in tests) header.AddRange([$"test_{t}_mean", $"test_{t}_std"]);
        header.AddRange(["trainable_parameters", "wall_seconds_mean"]);
        sb.AppendLine(string.Join(",", header));
        foreach (var r in rows)
        {
            var cells = new List<string> { Csv(r.Model), Csv(r.Dataset), Csv(r.Method), N(r.Runs), N(r.Diverged), N(r.Selected.Count), Csv(r.SelectionMetric), F(r.Validation.Mean), F(r.Validation.Std) };
            foreach (var t in tests)
                cells.AddRange(r.Test.TryGetValue(t, out var m) ? [F(m.Mean), F(m.Std)] : ["", ""]);
            cells.AddRange([F(r.TrainableParameters.Mean), F(r.WallSeconds.Mean)]);
            sb.AppendLine(string.Join(",", cells));
        }
        return sb.ToString();
    }

    public static string SummaryMarkdown(IReadOnlyList<SummaryRow> rows, int topK)
    {
        var tests = TestMetrics(rows);
        var sb = new StringBuilder();
        sb.AppendLine($"Mean ± std of the top {topK} runs by validation score, in percent; parameters are trainable parameters.");
        sb.AppendLine();
        var header = new List<string> { "model", "dataset", "method", "runs", "validation" };
        header.AddRange(tests.Select(t => $"test {t}"));
        header.Add("trainable params");
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select((_, i) => i < 3 ? "---|" : "---:|")));
        foreach (var r in rows)
        {
            var cells = new List<string> { Md(r.Model), Md(r.Dataset), Md(r.Method),
                r.Diverged > 0 ? $"{r.Runs} ({r.Diverged} diverged)" : N(r.Runs), $"{Pct(r.Validation)} ({r.SelectionMetric})" };
            cells.AddRange(tests.Select(t => r.Test.TryGetValue(t, out var m) ? Pct(m) : "—"));
            cells.Add(Params(r.TrainableParameters.Mean));
            sb.AppendLine("| " + string.Join(" | ", cells) + " |");
        }
        return sb.ToString();
    }

    /// <summary>Every run, one row each, with validation and test metrics and costs.</summary>
    public static string RunsCsv(IReadOnlyList<RunRecord> runs)
    {
        var val = runs.Where(r => r.Validation != null).SelectMany(r => r.Validation!.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var test = runs.Where(r => r.Test != null).SelectMany(r => r.Test!.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        var header = new List<string> { "key", "model", "dataset", "method", "seed", "learning_rate", "status" };
        header.AddRange(val.Select(v => $"validation_{v}"));
        header.AddRange(test.Select(t => $"test_{t}"));
        header.AddRange(["trainable_parameters", "wall_seconds", "finished_at", "host", "shard"]);
        sb.AppendLine(string.Join(",", header));
        foreach (var r in runs)
        {
            var cells = new List<string> { r.Key, Csv(r.ModelName), Csv(r.DatasetName), Csv(r.Label), N(r.Seed), F(r.LearningRate), r.Status };
            cells.AddRange(val.Select(v => r.Validation?.TryGetValue(v, out var x) == true ? F(x) : ""));
            cells.AddRange(test.Select(t => r.Test?.TryGetValue(t, out var x) == true ? F(x) : ""));
            cells.AddRange([N(r.TrainableParameters), F(r.WallSeconds), r.FinishedAt.ToString("O", Inv), Csv(r.Host), Csv(r.Shard ?? "")]);
            sb.AppendLine(string.Join(",", cells));
        }
        return sb.ToString();
    }

    public static DataFrame SummaryFrame(IReadOnlyList<SummaryRow> rows)
    {
        var tests = TestMetrics(rows);
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("model", rows.Select(r => r.Model)),
            new StringDataFrameColumn("dataset", rows.Select(r => r.Dataset)),
            new StringDataFrameColumn("method", rows.Select(r => r.Method)),
            new Int32DataFrameColumn("runs", rows.Select(r => r.Runs)),
            new Int32DataFrameColumn("diverged", rows.Select(r => r.Diverged)),
            new Int32DataFrameColumn("selected", rows.Select(r => r.Selected.Count)),
            new StringDataFrameColumn("selection_metric", rows.Select(r => r.SelectionMetric)),
            new DoubleDataFrameColumn("validation_mean", rows.Select(r => r.Validation.Mean)),
            new DoubleDataFrameColumn("validation_std", rows.Select(r => r.Validation.Std)),
        };
        foreach (var t in tests)
        {
            columns.Add(new DoubleDataFrameColumn($"test_{t}_mean", rows.Select(r => r.Test.TryGetValue(t, out var m) ? m.Mean : (double?)null)));
            columns.Add(new DoubleDataFrameColumn($"test_{t}_std", rows.Select(r => r.Test.TryGetValue(t, out var m) ? m.Std : (double?)null)));
        }
        columns.Add(new DoubleDataFrameColumn("trainable_parameters", rows.Select(r => r.TrainableParameters.Mean)));
        columns.Add(new DoubleDataFrameColumn("wall_seconds_mean", rows.Select(r => r.WallSeconds.Mean)));
        return new DataFrame(columns);
    }

    public static DataFrame RunsFrame(IReadOnlyList<RunRecord> runs)
    {
        var val = runs.Where(r => r.Validation != null).SelectMany(r => r.Validation!.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var test = runs.Where(r => r.Test != null).SelectMany(r => r.Test!.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("key", runs.Select(r => r.Key)),
            new StringDataFrameColumn("model", runs.Select(r => r.ModelName)),
            new StringDataFrameColumn("dataset", runs.Select(r => r.DatasetName)),
            new StringDataFrameColumn("method", runs.Select(r => r.Label)),
            new Int64DataFrameColumn("seed", runs.Select(r => r.Seed)),
            new DoubleDataFrameColumn("learning_rate", runs.Select(r => r.LearningRate)),
            new StringDataFrameColumn("status", runs.Select(r => r.Status)),
        };
        foreach (var v in val)
            columns.Add(new DoubleDataFrameColumn($"validation_{v}", runs.Select(r => r.Validation?.TryGetValue(v, out var x) == true ? x : (double?)null)));
        foreach (var t in test)
            columns.Add(new DoubleDataFrameColumn($"test_{t}", runs.Select(r => r.Test?.TryGetValue(t, out var x) == true ? x : (double?)null)));
        columns.Add(new Int64DataFrameColumn("trainable_parameters", runs.Select(r => r.TrainableParameters)));
        columns.Add(new DoubleDataFrameColumn("wall_seconds", runs.Select(r => r.WallSeconds)));
        return new DataFrame(columns);
    }

    private static List<string> TestMetrics(IReadOnlyList<SummaryRow> rows) =>
        rows.SelectMany(r => r.Test.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    private static string F(double x) => double.IsNaN(x) ? "" : x.ToString("R", Inv);
    private static string N(long x) => x.ToString(Inv);
    private static string Pct(MeanStd m) => m.Count == 0 ? "—" : $"{(100 * m.Mean).ToString("F2", Inv)} ± {(100 * m.Std).ToString("F2", Inv)}";

    private static string Params(double n) =>
        double.IsNaN(n) ? "—" : n >= 1e6 ? $"{(n / 1e6).ToString("F2", Inv)}M" : n >= 1e3 ? $"{(n / 1e3).ToString("F1", Inv)}k" : n.ToString("F0", Inv);

    private static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    private static string Md(string s) => s.Replace("|", "\\|");
}
