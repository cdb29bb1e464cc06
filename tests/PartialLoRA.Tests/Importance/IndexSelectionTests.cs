using PartialLoRA.Importance;

namespace PartialLoRA.Tests.Importance;

public class IndexSelectionTests
{
    public IndexSelectionTests() => _ = TestSupport.Torch;

    private static readonly double[] Scores = [0.5, 3, 1, 9, 2, 7, 0.1, 4];

    [Fact]
    public void Top_k_keeps_the_most_important_ascending()
    {
        Assert.Equal([1, 3, 5, 7], IndexSelection.TopK(Scores, 4));
        Assert.Empty(IndexSelection.TopK(Scores, 0));
        Assert.Equal(Enumerable.Range(0, 8), IndexSelection.TopK(Scores, 8));
        // Ties: the removal order takes the lower index first, so top-k keeps the higher one.
        Assert.Equal([2], IndexSelection.TopK([1, 1, 1], 1));
        Assert.Equal([0, 1, 2, 4, 6], ImportanceScores.AscendingOrder(Scores)[..5].Order());
    }

    [Fact]
    public void Softmax_sampling_is_seeded_distinct_and_ascending()
    {
        var a = IndexSelection.Softmax(Scores, 4, temperature: 0.5, seed: 42);
        Assert.Equal(a, IndexSelection.Softmax(Scores, 4, temperature: 0.5, seed: 42));
        Assert.Equal(4, a.Distinct().Count());
        Assert.Equal(a.Order(), a);
        var draws = Enumerable.Range(0, 20).Select(s => string.Join(",", IndexSelection.Softmax(Scores, 4, 0.5, s))).Distinct().Count();
        Assert.True(draws > 1, "different seeds should give different draws at T = 0.5");
    }

    [Fact]
    public void Temperature_moves_between_top_k_and_uniform()
    {
        // T → 0: always the top-k (even when softmax underflows to zero for most indices).
        for (var s = 0; s < 20; s++) Assert.Equal(IndexSelection.TopK(Scores, 3), IndexSelection.Softmax(Scores, 3, 1e-4, s));

        // T large: every index about equally often (3 of 8 per draw: 0.375).
        var counts = new int[8];
        const int draws = 2000;
        for (var s = 0; s < draws; s++)
            foreach (var i in IndexSelection.Softmax(Scores, 3, 1e6, s)) counts[i]++;
        Assert.All(counts, c => Assert.InRange(c / (double)draws, 0.32, 0.43));

        // T = 0.3: importance shows in the frequencies.
        var mid = new int[8];
        for (var s = 0; s < draws; s++)
            foreach (var i in IndexSelection.Softmax(Scores, 3, 0.3, s)) mid[i]++;
        Assert.True(mid[3] > mid[5] && mid[5] > mid[7] && mid[7] > mid[6], string.Join(",", mid));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelection.TopK(Scores, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelection.Softmax(Scores, 2, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelection.Softmax(Scores, -1, 1, 1));
    }
}
