using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DebertaV2Encoder</c>: <c>layer.{i}</c>, the shared relative position embeddings <c>rel_embeddings</c>
/// (2k rows; LayerNorm'd when <c>norm_rel_ebd</c> has layer_norm) and the optional <c>conv</c> after layer 0.
/// The attention mask is pairwise (query and key both real tokens), as HF's get_attention_mask builds it.
/// </summary>
public sealed class DebertaV2Encoder : nn.Module
{
    public ModuleList<DebertaV2Layer> layer;
    public Embedding? rel_embeddings;
    public LayerNorm? LayerNorm;
    public DebertaV2ConvLayer? conv;

    private readonly DebertaV2Config config;

    public DebertaV2Encoder(DebertaV2Config c) : base(nameof(DebertaV2Encoder))
    {
        config = c;
        layer = nn.ModuleList(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new DebertaV2Layer(c)).ToArray());
        if (c.RelativeAttention) rel_embeddings = nn.Embedding(c.PosEbdSize * 2, c.HiddenSize);
        if (c.NormRelEbd.Contains("layer_norm")) LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        if (c.ConvKernelSize > 0) conv = new DebertaV2ConvLayer(c);
        RegisterComponents();
    }

    /// <summary>(N,1,T,T) bool: both query i and key j are real tokens.</summary>
    public static Tensor Allowed(Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var m = mask.to(ScalarType.Bool);
        return m.unsqueeze(1).unsqueeze(2).logical_and(m.unsqueeze(1).unsqueeze(3)).MoveToOuterDisposeScope();
    }

    /// <summary>The relative embeddings every layer shares, or null without relative attention.</summary>
    public Tensor? RelEmbeddings()
    {
        if (rel_embeddings is null) return null;
        return LayerNorm is null ? rel_embeddings.weight! : LayerNorm.call(rel_embeddings.weight!);
    }

    public Tensor? RelativePos(long length, Device device) =>
        config.RelativeAttention
            ? RelativePositions.Build(length, length, config.PositionBuckets, config.EffectiveMaxRelativePositions, device)
            : null;

    /// <summary>Layer <paramref name="index"/> (with the conv after layer 0), given the hidden state entering it.</summary>
    public Tensor Block(int index, Tensor hidden, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var outp = layer[index].Forward(hidden, Allowed(mask), RelativePos(hidden.shape[1], hidden.device), RelEmbeddings());
        if (index == 0 && conv is not null) outp = conv.Forward(hidden, outp, mask);
        return outp.MoveToOuterDisposeScope();
    }

    public Tensor Forward(Tensor hidden, Tensor mask, List<Tensor>? hiddenStates = null)
    {
        using var scope = torch.NewDisposeScope();
        var allowed = Allowed(mask);
        var relPos = RelativePos(hidden.shape[1], hidden.device);
        var rel = RelEmbeddings();
        var h = hidden;
        for (int i = 0; i < layer.Count; i++)
        {
            hiddenStates?.Add(h);
            var o = layer[i].Forward(h, allowed, relPos, rel);
            if (i == 0 && conv is not null) o = conv.Forward(hidden, o, mask);
            h = o;
        }
        hiddenStates?.Add(h);
        // hiddenStates[0] is the caller's own tensor; the rest were made here
        if (hiddenStates is not null) foreach (var x in hiddenStates.Skip(1)) x.MoveToOuterDisposeScope();
        return hiddenStates is null ? h.MoveToOuterDisposeScope() : h;
    }

    internal void InitWeights(Generator g)
    {
        foreach (var l in layer) l.InitWeights(g);
        if (rel_embeddings is not null) HfInit.Embedding(rel_embeddings, config.InitializerRange, g);
        if (LayerNorm is not null) HfInit.LayerNorm(LayerNorm);
        conv?.InitWeights(g);
    }
}
