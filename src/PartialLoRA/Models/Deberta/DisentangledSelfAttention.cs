using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DisentangledSelfAttention</c> (DeBERTa): scores = (Q·Kᵀ + c2p + p2c) / √(d·s), s = 1 + #terms, where
/// content→position c2p[i,j] = Q_i · K^r_{δ(i,j)} and position→content p2c[i,j] = K_j · Q^r_{δ(j,i)}, with
/// K^r, Q^r the relative embeddings projected by the shared key/query projections (<c>share_att_key</c>,
/// DeBERTa-v3) or by separate <c>pos_key_proj</c> / <c>pos_query_proj</c>. Relative indices are δ + k clamped to
/// [0, 2k), k = <see cref="DebertaV2Config.PosEbdSize"/>. Masked positions get the dtype's minimum before softmax.
/// </summary>
public sealed class DisentangledSelfAttention : nn.Module
{
    public nn.Module<Tensor, Tensor> query_proj;
    public nn.Module<Tensor, Tensor> key_proj;
    public nn.Module<Tensor, Tensor> value_proj;
    public nn.Module<Tensor, Tensor>? pos_key_proj;
    public nn.Module<Tensor, Tensor>? pos_query_proj;

    private readonly DebertaV2Config config;
    private readonly int heads;
    private readonly int scaleFactor;

    public DisentangledSelfAttention(DebertaV2Config c) : base(nameof(DisentangledSelfAttention))
    {
        config = c;
        heads = c.NumAttentionHeads;
        query_proj = nn.Linear(c.HiddenSize, c.AllHeadSize);
        key_proj = nn.Linear(c.HiddenSize, c.AllHeadSize);
        value_proj = nn.Linear(c.HiddenSize, c.AllHeadSize);
        if (c.RelativeAttention && !c.ShareAttKey)
        {
            if (c.C2P) pos_key_proj = nn.Linear(c.HiddenSize, c.AllHeadSize);
            if (c.P2C) pos_query_proj = nn.Linear(c.HiddenSize, c.AllHeadSize);
        }
        scaleFactor = 1 + (c.C2P ? 1 : 0) + (c.P2C ? 1 : 0);
        RegisterComponents();
    }

    // (N, T, H·d) → (N·H, T, d)
    private Tensor Heads(Tensor x)
    {
        var (n, t) = (x.shape[0], x.shape[1]);
        return x.view(n, t, heads, -1).permute(0, 2, 1, 3).contiguous().view(-1, t, x.shape[2] / heads);
    }

    /// <param name="allowed">(N,1,T,T) bool: query i may attend key j.</param>
    /// <param name="relativePos">(1,T,T) int64 from <see cref="RelativePositions.Build"/>, when relative attention is on.</param>
    /// <param name="relEmbeddings">(2k, D) relative embeddings (after the encoder's optional LayerNorm).</param>
    public Tensor Forward(Tensor hidden, Tensor allowed, Tensor? relativePos, Tensor? relEmbeddings)
    {
        using var scope = torch.NewDisposeScope();
        var (n, t) = (hidden.shape[0], hidden.shape[1]);
        var q = Heads(query_proj.call(hidden));
        var k = Heads(key_proj.call(hidden));
        var v = Heads(value_proj.call(hidden));
        var scale = Math.Sqrt((double)q.shape[2] * scaleFactor);
        var scores = torch.bmm(q, k.transpose(-1, -2) / scale);
        if (config.RelativeAttention)
        {
            var rel = nn.functional.dropout(relEmbeddings!, config.HiddenDropoutProb, training);
            scores = scores + Bias(q, k, relativePos!, rel, scale);
        }
        scores = scores.view(-1, heads, t, t).masked_fill(allowed.logical_not(), AttentionMasks.MinValue(scores.dtype));
        var probs = nn.functional.dropout(scores.softmax(-1), config.AttentionProbsDropoutProb, training);
        var ctx = torch.bmm(probs.view(-1, t, t), v).view(n, heads, t, -1).permute(0, 2, 1, 3).contiguous().view(n, t, -1);
        return ctx.MoveToOuterDisposeScope();
    }

    private Tensor Bias(Tensor q, Tensor k, Tensor relativePos, Tensor relEmbeddings, double scale)
    {
        var span = config.PosEbdSize;
        var bh = q.shape[0];
        var t = q.shape[1];
        var rel = relEmbeddings.narrow(0, 0, Math.Min(2L * span, relEmbeddings.shape[0])).unsqueeze(0);
        var repeat = bh / heads;
        Tensor? posKey = null, posQuery = null;
        if (config.ShareAttKey)
        {
            posQuery = Heads(query_proj.call(rel)).repeat(repeat, 1, 1);
            posKey = Heads(key_proj.call(rel)).repeat(repeat, 1, 1);
        }
        else
        {
            if (config.C2P) posKey = Heads(pos_key_proj!.call(rel)).repeat(repeat, 1, 1);
            if (config.P2C) posQuery = Heads(pos_query_proj!.call(rel)).repeat(repeat, 1, 1);
        }
        Tensor score = torch.zeros(1, dtype: q.dtype, device: q.device);
        var relPos = relativePos.unsqueeze(1);   // (1,1,T,T)
        if (config.C2P)
        {
            var c2p = torch.bmm(q, posKey!.transpose(-1, -2));
            var idx = torch.clamp(relPos + span, 0, span * 2 - 1).squeeze(0).expand(bh, t, t);
            score = score + c2p.gather(-1, idx) / scale;
        }
        if (config.P2C)
        {
            var p2c = torch.bmm(k, posQuery!.transpose(-1, -2));
            var idx = torch.clamp(-relPos + span, 0, span * 2 - 1).squeeze(0).expand(bh, t, t);
            score = score + p2c.gather(-1, idx).transpose(-1, -2) / scale;
        }
        return score;
    }

    internal void InitWeights(Generator g)
    {
        foreach (var m in new[] { query_proj, key_proj, value_proj, pos_key_proj, pos_query_proj })
            if (m is not null) HfInit.Linear(m, config.InitializerRange, g);
    }
}
