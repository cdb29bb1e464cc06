using PartialLoRA.Data.FewShot;

namespace PartialLoRA.Data.Glue;

/// <summary>Deterministic GLUE subsets: the paper's few-shot sets and the QNLI dev split used offline.</summary>
public static class GlueSplits
{
    /// <summary>The fraction of QNLI's dev set that <see cref="SplitDev"/> keeps for testing.</summary>
    public const double DevTestFraction = 0.2;

    /// <summary>
    /// The few-shot set for sparsity derivation: a stratified fraction of the given training split, by default the
    /// paper's <see cref="FewShotSampler.PaperRatio"/> for the task's official training size (2% for MRPC and CoLA,
    /// below 10,000; 5% for SST-2 and QNLI, also when only a split of QNLI's dev set is at hand), or <paramref name="ratio"/>.
    /// </summary>
    public static GlueSplit FewShot(GlueSplit train, ulong seed, double? ratio = null)
    {
        if (!train.IsLabelled) throw new ArgumentException($"{train.Info.Name}/{train.Split}: cannot sample an unlabelled split");
        var r = ratio ?? FewShotSampler.PaperRatio(train.Info.OfficialTrain);
        var rows = FewShotSampler.ByRatio(train.Labels, train.Info.Labels.Length, r, seed, train.Info.Name);
        return train.Subset(rows, $"few-shot({r:0.###},seed={seed})");
    }

    /// <summary>
    /// When only GLUE's dev set is available (QNLI offline): a stratified split of it, <see cref="DevTestFraction"/>
    /// (20%) per class for testing and the rest for training, keyed by (seed, task, "dev-split"). Returns
    /// (dev-train, dev-test).
    /// </summary>
    public static (GlueSplit Train, GlueSplit Test) SplitDev(GlueSplit dev, ulong seed, double testFraction = DevTestFraction)
    {
        if (!dev.IsLabelled) throw new ArgumentException($"{dev.Info.Name}/{dev.Split}: cannot split an unlabelled split");
        var s = FewShotSampler.Split(dev.Labels, dev.Info.Labels.Length, testFraction, seed, dev.Info.Name, "dev-split");
        return (dev.Subset(s.Train, "dev-train"), dev.Subset(s.Validation, "dev-test"));
    }
}
