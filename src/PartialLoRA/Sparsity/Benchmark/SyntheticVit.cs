using PartialLoRA.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity.Benchmark;

/// <summary>Shapes of the <see cref="SyntheticVit"/> stand-in.</summary>
public sealed record SyntheticVitConfig(string Name, int ImageSize, int PatchSize, int Width, int Depth, int Heads, int MlpWidth, int Classes)
{
    /// <summary>ViT-B/16 shapes (CLIP's vision tower): 224 px, 197 tokens, width 768, 12 blocks, 12 heads, MLP 3072.</summary>
    public static SyntheticVitConfig VitB16(int classes = 10) => new("vit-b16", 224, 16, 768, 12, 12, 3072, classes);

    /// <summary>The shapes of the models library's clip-vit-lab-tiny vision tower: 32 px, patch 4, width 192, 6 blocks, 3 heads, MLP 768.</summary>
    public static SyntheticVitConfig LabTiny(int classes = 10) => new("lab-tiny", 32, 4, 192, 6, 3, 768, classes);

    /// <summary>The shapes of clip-vit-lab-small's vision tower: 32 px, patch 4, width 384, 12 blocks, 6 heads, MLP 1536.</summary>
    public static SyntheticVitConfig LabSmall(int classes = 10) => new("lab-small", 32, 4, 384, 12, 6, 1536, classes);

    public static SyntheticVitConfig ByName(string name, int classes) => name switch
    {
        "vit-b16" => VitB16(classes),
        "lab-tiny" => LabTiny(classes),
        "lab-small" => LabSmall(classes),
        _ => throw new ArgumentException($"stand-in '{name}': expected vit-b16, lab-tiny or lab-small"),
    };

    public int Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    public void Validate()
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"stand-in '{Name}': image size {ImageSize} must be a positive multiple of the patch size {PatchSize}");
        if (Width <= 0 || Heads <= 0 || Width % Heads != 0)
            throw new ArgumentException($"stand-in '{Name}': width {Width} must be a positive multiple of the head count {Heads}");
        if (Depth <= 0 || MlpWidth <= 0 || Classes < 2)
            throw new ArgumentException($"stand-in '{Name}': expected depth ≥ 1, MLP width ≥ 1 and at least 2 classes");
    }
}

/// <summary>
/// A STAND-IN for benchmarking Algorithm 1, not a pretrained model: a pre-norm vision transformer with CLIP's
/// module names (<c>vision_model.encoder.layers.i.self_attn.q_proj</c>, <c>…mlp.fc1</c>, …) and random weights
/// drawn from a seed. Its cost per forward pass matches a real model of the same shapes; its accuracies do not
/// mean anything (see <see cref="DerivationBenchmark.StandIn"/> for the task it is given).
/// </summary>
public sealed class SyntheticVit : nn.Module<Tensor, Tensor>, IBlockwiseClassifier
{
    private const string BlockPrefix = "vision_model.encoder.layers.";

    private readonly VisionTower vision_model;
    private readonly nn.Module<Tensor, Tensor> classifier;

    public SyntheticVit(SyntheticVitConfig config, long seed, Device? device = null) : base(nameof(SyntheticVit))
    {
        config.Validate();
        Config = config;
        vision_model = new VisionTower(config);
        classifier = nn.Linear(config.Width, config.Classes);
        RegisterComponents();
        Initialize(seed);
        if (device != null) this.to(device);
    }

    public SyntheticVitConfig Config { get; }
    public nn.Module Module => this;
    public int NumClasses => Config.Classes;
    public int BlockCount => Config.Depth;

    /// <summary>q, k, v, out_proj, fc1, fc2 of every block, in forward order.</summary>
    public IReadOnlyList<string> TargetPaths =>
        Enumerable.Range(0, Config.Depth).SelectMany(i => new[]
        {
            $"{BlockPrefix}{i}.self_attn.q_proj", $"{BlockPrefix}{i}.self_attn.k_proj", $"{BlockPrefix}{i}.self_attn.v_proj",
            $"{BlockPrefix}{i}.self_attn.out_proj", $"{BlockPrefix}{i}.mlp.fc1", $"{BlockPrefix}{i}.mlp.fc2",
        }).ToList();

    public override Tensor forward(Tensor images)
    {
        var h = Embed(images);
        for (var i = 0; i < BlockCount; i++) h = Block(i, h);
        return Head(h);
    }

    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null) => call(inputs);

    /// <summary>The task head: a Linear over the post-LayerNorm class token.</summary>
    public Linear TaskHead => (Linear)classifier;
    public Tensor Embed(Tensor inputs, Tensor? attentionMask = null) => vision_model.Embed(inputs);
    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null) => vision_model.Layer(index).call(hidden);
    public Tensor Head(Tensor hidden, Tensor? attentionMask = null) => classifier.call(vision_model.Pool(hidden));

    public int? BlockIndexOf(string modulePath)
    {
        if (!modulePath.StartsWith(BlockPrefix, StringComparison.Ordinal)) return null;
        var rest = modulePath[BlockPrefix.Length..];
        var end = rest.IndexOf('.');
        return int.TryParse(end < 0 ? rest : rest[..end], out var i) && i >= 0 && i < BlockCount ? i : null;
    }

    // Weights ~ N(0, 1/fan_in) so activations keep their scale through the blocks; embeddings ~ N(0, 0.02²).
    private void Initialize(long seed)
    {
        using var gen = new torch.Generator(unchecked((ulong)seed));
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("layer_norm1.weight") || name.EndsWith("layer_norm2.weight") || name.EndsWith("layernorm.weight") || name.EndsWith("layrnorm.weight"))
                p.fill_(1);
            else if (name.EndsWith(".bias"))
                p.zero_();
            else if (p.dim() >= 2)
                p.copy_(torch.randn(p.shape, generator: gen) / Math.Sqrt(p.shape.Skip(1).Aggregate(1L, (a, b) => a * b)));
            else
                p.copy_(torch.randn(p.shape, generator: gen) * 0.02);
        }
    }

    private sealed class VisionTower : nn.Module<Tensor, Tensor>
    {
        private readonly Embeddings embeddings;
        private readonly LayerNorm pre_layrnorm;
        private readonly Encoder encoder;
        private readonly LayerNorm post_layernorm;

        public VisionTower(SyntheticVitConfig c) : base(nameof(VisionTower))
        {
            embeddings = new Embeddings(c);
            pre_layrnorm = nn.LayerNorm(c.Width);
            encoder = new Encoder(c);
            post_layernorm = nn.LayerNorm(c.Width);
            RegisterComponents();
        }

        public Tensor Embed(Tensor images) => pre_layrnorm.call(embeddings.call(images));
        public EncoderLayer Layer(int i) => encoder.Layers[i];
        public Tensor Pool(Tensor hidden) => post_layernorm.call(hidden.select(1, 0));

        public override Tensor forward(Tensor images) => throw new NotSupportedException("use Embed, the layers and Pool");
    }

    private sealed class Embeddings : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d patch_embedding;
        private readonly Parameter class_embedding;
        private readonly Parameter position_embedding;

        public Embeddings(SyntheticVitConfig c) : base(nameof(Embeddings))
        {
            patch_embedding = nn.Conv2d(3, c.Width, c.PatchSize, stride: c.PatchSize, bias: false);
            class_embedding = new Parameter(torch.zeros(c.Width));
            position_embedding = new Parameter(torch.zeros(c.Tokens, c.Width));
            RegisterComponents();
        }

        public override Tensor forward(Tensor images)
        {
            var patches = patch_embedding.call(images).flatten(2).transpose(1, 2); // (N, P, D)
            var cls = class_embedding.expand(patches.shape[0], 1, -1);
            return torch.cat([cls, patches], 1) + position_embedding;
        }
    }

    private sealed class Encoder : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<EncoderLayer> layers;

        public Encoder(SyntheticVitConfig c) : base(nameof(Encoder))
        {
            layers = nn.ModuleList(Enumerable.Range(0, c.Depth).Select(_ => new EncoderLayer(c)).ToArray());
            RegisterComponents();
        }

        public ModuleList<EncoderLayer> Layers => layers;

        public override Tensor forward(Tensor h) => throw new NotSupportedException("run the layers one by one");
    }

    internal sealed class EncoderLayer : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm layer_norm1;
        private readonly Attention self_attn;
        private readonly LayerNorm layer_norm2;
        private readonly Mlp mlp;

        public EncoderLayer(SyntheticVitConfig c) : base(nameof(EncoderLayer))
        {
            layer_norm1 = nn.LayerNorm(c.Width);
            self_attn = new Attention(c);
            layer_norm2 = nn.LayerNorm(c.Width);
            mlp = new Mlp(c);
            RegisterComponents();
        }

        public override Tensor forward(Tensor h)
        {
            h = h + self_attn.call(layer_norm1.call(h));
            return h + mlp.call(layer_norm2.call(h));
        }
    }

    private sealed class Attention : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> q_proj, k_proj, v_proj, out_proj;
        private readonly int heads;

        public Attention(SyntheticVitConfig c) : base(nameof(Attention))
        {
            q_proj = nn.Linear(c.Width, c.Width);
            k_proj = nn.Linear(c.Width, c.Width);
            v_proj = nn.Linear(c.Width, c.Width);
            out_proj = nn.Linear(c.Width, c.Width);
            heads = c.Heads;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (n, t, d) = (x.shape[0], x.shape[1], x.shape[2]);
            Tensor Split(Tensor y) => y.view(n, t, heads, d / heads).transpose(1, 2);
            var o = nn.functional.scaled_dot_product_attention(Split(q_proj.call(x)), Split(k_proj.call(x)), Split(v_proj.call(x)));
            return out_proj.call(o.transpose(1, 2).reshape(n, t, d));
        }
    }

    private sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> fc1, fc2;

        public Mlp(SyntheticVitConfig c) : base(nameof(Mlp))
        {
            fc1 = nn.Linear(c.Width, c.MlpWidth);
            fc2 = nn.Linear(c.MlpWidth, c.Width);
            RegisterComponents();
        }

        // CLIP's quick_gelu: x·σ(1.702x).
        public override Tensor forward(Tensor x)
        {
            var h = fc1.call(x);
            return fc2.call(h * torch.sigmoid(1.702 * h));
        }
    }
}
