using PartialLoRA.Experiments;

namespace PartialLoRA.Tests.Experiments;

public class ShardTests
{
    [Fact]
    public void Parses_i_of_N_and_rejects_nonsense()
    {
        Assert.Equal(new Shard(2, 4), Shard.Parse("2/4"));
        Assert.Contains("index must be in 0..3", Assert.Throws<SpecException>(() => Shard.Parse("4/4")).Message);
        Assert.Contains("expected i/N", Assert.Throws<SpecException>(() => Shard.Parse("1-4")).Message);
        Assert.Contains("count must be ≥ 1", Assert.Throws<SpecException>(() => Shard.Parse("0/0")).Message);
    }

    [Fact]
    public void Shards_partition_the_runs()
    {
        var owners = Enumerable.Range(0, 23).Select(i => Enumerable.Range(0, 4).Where(s => new Shard(s, 4).Owns(i)).ToList()).ToList();
        Assert.All(owners, o => Assert.Single(o));
        Assert.Equal([6, 6, 6, 5], Enumerable.Range(0, 4).Select(s => owners.Count(o => o[0] == s)));
    }

    [Fact]
    public void Slurm_array_variables_give_the_shard()
    {
        Func<string, string?> Env(params (string, string)[] vars) => n => vars.FirstOrDefault(v => v.Item1 == n).Item2;
        Assert.Null(Shard.FromSlurm(Env()));
        Assert.Equal(new Shard(2, 4), Shard.FromSlurm(Env(("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        // --array=1-4: ids start at 1.
        Assert.Equal(new Shard(0, 4), Shard.FromSlurm(Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("SLURM_ARRAY_TASK_MIN", "1"))));
        Assert.Contains("SLURM_ARRAY_TASK_COUNT", Assert.Throws<SpecException>(() => Shard.FromSlurm(Env(("SLURM_ARRAY_TASK_ID", "2")))).Message);
        // The flag wins over the environment.
        Assert.Equal(new Shard(1, 2), Shard.Resolve("1/2", Env(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "8"))));
    }
}
