using PartialLoRA.Data.FewShot;

namespace PartialLoRA.Tests.Data;

public class FewShotTests
{
    [Fact]
    public void SplitMix64_gives_the_published_sequence_for_seed_1234567()
    {
        var r = new SplitMix64(1234567);
        Assert.Equal([6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL, 4593380528125082431UL, 16408922859458223821UL],
            Enumerable.Range(0, 5).Select(_ => r.NextUInt64()));
    }

    [Fact]
    public void Keyed_streams_and_permutations_match_an_independent_python_implementation()
    {
        // Python: SHA-256("7|cifar10|few-shot|class 3")[:8] little-endian, SplitMix64, Fisher–Yates with rejection sampling
        Assert.Equal(4906543428467507430UL, SplitMix64.Key(7, "cifar10", "few-shot", "class 3"));
        Assert.Equal([6, 8, 3, 1, 7, 0, 2, 5, 9, 4], SplitMix64.For(7, "cifar10", "few-shot", "class 3").Permutation(10));
    }

    private static int[] Labels(params int[] perClass) => perClass.SelectMany((n, c) => Enumerable.Repeat(c, n)).ToArray();

    [Fact]
    public void Per_class_sampling_has_exact_counts_disjoint_train_and_validation_and_is_seeded()
    {
        var labels = Labels(40, 25, 33, 60).OrderBy(l => (l * 7919) % 13).ToArray();   // classes interleaved
        var a = FewShotSampler.PerClass(labels, 4, 8, seed: 11, "toy");
        Assert.Equal(32, a.Train.Length);
        Assert.Equal(32, a.Validation.Length);
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(8, a.Train.Count(i => labels[i] == c));
            Assert.Equal(8, a.Validation.Count(i => labels[i] == c));
        }
        Assert.Empty(a.Train.Intersect(a.Validation));
        Assert.Equal(a.Train.Order(), a.Train);
        var again = FewShotSampler.PerClass(labels, 4, 8, 11, "toy");
        Assert.Equal(a.Train, again.Train);
        Assert.Equal(a.Validation, again.Validation);
        Assert.NotEqual(a.Train, FewShotSampler.PerClass(labels, 4, 8, 12, "toy").Train);
        Assert.NotEqual(a.Train, FewShotSampler.PerClass(labels, 4, 8, 11, "other").Train);
        var six = FewShotSampler.PerClass(labels, 4, 6, 11, "toy", validationShots: 2);
        Assert.Equal(24, six.Train.Length);
        Assert.Equal(8, six.Validation.Length);
    }

    [Fact]
    public void A_class_with_too_few_rows_is_named()
    {
        var e = Assert.Throws<InvalidOperationException>(() => FewShotSampler.PerClass(Labels(40, 20), 2, 16, 0, "flowers102", classNames: ["rose", "tulip"]));
        Assert.Equal("flowers102: class 1 (tulip) has 20 rows in the training pool; 16 shots + 16 validation shots need 32", e.Message);
    }

    [Fact]
    public void Whole_dataset_training_holds_out_a_validation_set_and_trains_on_the_rest()
    {
        var labels = Labels(30, 50);
        var w = FewShotSampler.Whole(labels, 2, 5, 3, "toy");
        Assert.Equal(10, w.Validation.Length);
        Assert.Equal(70, w.Train.Length);
        Assert.Equal(Enumerable.Range(0, 80), w.Train.Concat(w.Validation).Order());
    }

    [Fact]
    public void Glue_ratios_are_2_percent_below_10000_and_5_percent_above_stratified()
    {
        Assert.Equal(0.02, FewShotSampler.PaperRatio(3_668));
        Assert.Equal(0.02, FewShotSampler.PaperRatio(8_551));
        Assert.Equal(0.05, FewShotSampler.PaperRatio(67_349));
        Assert.Equal(0.05, FewShotSampler.PaperRatio(104_743));
        var labels = Labels(1194, 2474);   // MRPC's train labels
        var few = FewShotSampler.ByRatio(labels, 2, 0.02, 0, "mrpc");
        Assert.Equal(24, few.Count(i => labels[i] == 0));   // round(23.88)
        Assert.Equal(49, few.Count(i => labels[i] == 1));   // round(49.48)
        Assert.Equal(few, FewShotSampler.ByRatio(labels, 2, 0.02, 0, "mrpc"));
        Assert.Equal(16, FewShotSampler.PaperShots("cifar10"));
        Assert.Equal(6, FewShotSampler.PaperShots("flowers102"));
    }
}
