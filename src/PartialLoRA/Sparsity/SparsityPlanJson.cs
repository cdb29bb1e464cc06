using System.Text;
using System.Text.Json;
using PartialLoRA.Importance;

namespace PartialLoRA.Sparsity;

/// <summary>
/// The JSON form of a <see cref="SparsityPlan"/> (format <see cref="Format"/>): snake_case fields, one object per
/// layer, index sets as one-line arrays. Written atomically; read strictly — a malformed plan is an error naming
/// the file and the field (e.g. <c>layers[3].row_indices</c>) and what was expected. Unknown fields are errors too,
/// so a typo never silently falls back to a default.
/// </summary>
public static class SparsityPlanJson
{
    public const string Format = "partial-lora.sparsity-plan/1";

    public static void Save(SparsityPlan plan, string path)
    {
        Validate(plan, path);
        AtomicFile.WriteAllText(path, ToJson(plan));
    }

    public static SparsityPlan Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"sparsity plan '{path}' does not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static string ToJson(SparsityPlan plan)
    {
        Validate(plan, "plan");
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            WriteProvenance(w, plan.Provenance);
            w.WriteStartArray("layers");
            foreach (var l in plan.Layers)
            {
                w.WriteStartObject();
                w.WriteString("module", l.Module);
                w.WriteNumber("rows", l.Rows);
                w.WriteNumber("cols", l.Cols);
                w.WriteNumber("kept_rows", l.KeptRows);
                w.WriteNumber("kept_cols", l.KeptCols);
                WriteIndices(w, "row_indices", l.RowIndices);
                WriteIndices(w, "col_indices", l.ColIndices);
                if (l.Density is { } d) w.WriteNumber("density", d); else w.WriteNull("density");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Reads a plan from JSON text; <paramref name="source"/> names it in errors (a file path).</summary>
    public static SparsityPlan Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"sparsity plan '{source}': not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var r = new Reader(source);
            var root = r.Object(doc.RootElement, "(root)", "format", "provenance", "layers");
            var format = r.String(root, "format", "(root)");
            if (format != Format) throw r.Error("format", $"expected \"{Format}\", got \"{format}\"");
            var provenance = ReadProvenance(r, r.Object(r.Required(root, "provenance", "(root)"), "provenance", ProvenanceFields));
            var layersElement = r.Required(root, "layers", "(root)");
            if (layersElement.ValueKind != JsonValueKind.Array) throw r.Error("layers", $"expected an array, got {layersElement.ValueKind}");
            var layers = layersElement.EnumerateArray().Select((e, i) => ReadLayer(r, e, $"layers[{i}]")).ToList();
            var plan = new SparsityPlan(provenance, layers);
            Validate(plan, source);
            return plan;
        }
    }

    /// <summary>
    /// Throws unless the plan is consistent: at least one layer, unique modules, kept counts within the shape, index
    /// sets ascending, distinct, in range and as long as the kept counts, densities in [0, 1], and the provenance
    /// fields its schedule needs.
    /// </summary>
    public static void Validate(SparsityPlan plan, string source)
    {
        InvalidDataException Bad(string field, string what) => new($"sparsity plan '{source}': {field}: {what}");
        var p = plan.Provenance;
        if (string.IsNullOrWhiteSpace(p.Model)) throw Bad("provenance.model", "expected a non-empty model name");
        if (string.IsNullOrWhiteSpace(p.ModelHash)) throw Bad("provenance.model_hash", "expected a non-empty digest of the model's weights");
        if (p.Shots is <= 0) throw Bad("provenance.shots", $"expected at least 1 shot per class, got {p.Shots}");
        if (p.Threshold is { } t && !(t > 0 && t <= 1)) throw Bad("provenance.threshold", $"expected τ in (0, 1], got {t}");
        if (p.BaselineAccuracy is { } mu && !(mu > 0 && mu <= 1)) throw Bad("provenance.baseline_accuracy", $"expected μ in (0, 1], got {mu}");
        if (p.Evaluations is < 0) throw Bad("provenance.evaluations", $"expected a count ≥ 0, got {p.Evaluations}");
        if (p.P is { } pp && !(pp > 0 && pp <= 1)) throw Bad("provenance.p", $"expected p in (0, 1], got {pp}");
        if (p.Temperature is { } temp && !(temp > 0 && double.IsFinite(temp))) throw Bad("provenance.temperature", $"expected T > 0, got {temp}");
        if (p.Selection == SelectionMode.Softmax && p.Temperature == null) throw Bad("provenance.temperature", "required with selection \"softmax\"");
        switch (p.Schedule)
        {
            case PlanSchedule.Algorithm1:
                if (p.Measure == null) throw Bad("provenance.measure", "required for schedule \"algorithm1\" (svd, snip or imp)");
                if (p.Threshold == null) throw Bad("provenance.threshold", "required for schedule \"algorithm1\"");
                break;
            case PlanSchedule.Balanced or PlanSchedule.Pyramidal:
                if (p.P == null) throw Bad("provenance.p", $"required for schedule \"{Name(p.Schedule)}\"");
                break;
        }

        if (plan.Layers.Count == 0) throw Bad("layers", "expected at least one layer");
        var seen = new HashSet<string>();
        for (var i = 0; i < plan.Layers.Count; i++)
        {
            var l = plan.Layers[i];
            var at = $"layers[{i}]";
            if (l is null) throw Bad(at, "expected a layer object");
            if (string.IsNullOrWhiteSpace(l.Module)) throw Bad($"{at}.module", "expected a non-empty module path");
            if (!seen.Add(l.Module)) throw Bad($"{at}.module", $"'{l.Module}' appears twice");
            if (l.Rows <= 0) throw Bad($"{at}.rows", $"expected m ≥ 1, got {l.Rows}");
            if (l.Cols <= 0) throw Bad($"{at}.cols", $"expected n ≥ 1, got {l.Cols}");
            if (l.KeptRows < 0 || l.KeptRows > l.Rows) throw Bad($"{at}.kept_rows", $"expected 0…{l.Rows}, got {l.KeptRows}");
            if (l.KeptCols < 0 || l.KeptCols > l.Cols) throw Bad($"{at}.kept_cols", $"expected 0…{l.Cols}, got {l.KeptCols}");
            CheckIndices(l.RowIndices, l.KeptRows, l.Rows, $"{at}.row_indices", "kept_rows", Bad);
            CheckIndices(l.ColIndices, l.KeptCols, l.Cols, $"{at}.col_indices", "kept_cols", Bad);
            if (l.Density is { } d && !(d >= 0 && d <= 1)) throw Bad($"{at}.density", $"expected a density in [0, 1], got {d}");
        }
    }

    private static void CheckIndices(int[]? indices, int kept, int size, string field, string keptField, Func<string, string, InvalidDataException> bad)
    {
        if (indices == null) return;
        if (indices.Length != kept) throw bad(field, $"has {indices.Length} indices but {keptField} is {kept}");
        for (var j = 0; j < indices.Length; j++)
        {
            if (indices[j] < 0 || indices[j] >= size) throw bad(field, $"index {indices[j]} at position {j} is outside 0…{size - 1}");
            if (j > 0 && indices[j] <= indices[j - 1]) throw bad(field, $"expected strictly ascending indices, got {indices[j - 1]} then {indices[j]} at position {j}");
        }
    }

    private static readonly string[] ProvenanceFields =
        ["schedule", "model", "model_hash", "task", "shots", "seed", "measure", "flow", "selection", "temperature", "threshold", "baseline_accuracy", "evaluations", "p"];

    private static readonly string[] LayerFields = ["module", "rows", "cols", "kept_rows", "kept_cols", "row_indices", "col_indices", "density"];

    private static void WriteProvenance(Utf8JsonWriter w, PlanProvenance p)
    {
        w.WriteStartObject("provenance");
        w.WriteString("schedule", Name(p.Schedule));
        w.WriteString("model", p.Model);
        w.WriteString("model_hash", p.ModelHash);
        w.WriteString("task", p.Task);
        if (p.Shots is { } shots) w.WriteNumber("shots", shots); else w.WriteNull("shots");
        w.WriteNumber("seed", p.Seed);
        w.WriteString("measure", p.Measure is { } m ? Name(m) : null);
        w.WriteString("flow", p.Flow is { } f ? Name(f) : null);
        w.WriteString("selection", p.Selection is { } s ? Name(s) : null);
        WriteNumber(w, "temperature", p.Temperature);
        WriteNumber(w, "threshold", p.Threshold);
        WriteNumber(w, "baseline_accuracy", p.BaselineAccuracy);
        if (p.Evaluations is { } e) w.WriteNumber("evaluations", e); else w.WriteNull("evaluations");
        WriteNumber(w, "p", p.P);
        w.WriteEndObject();
    }

    private static PlanProvenance ReadProvenance(Reader r, JsonElement e)
    {
        const string at = "provenance";
        return new PlanProvenance
        {
            Schedule = r.Enum(e, "schedule", at, Enum.GetValues<PlanSchedule>(), Name, required: true)!.Value,
            Model = r.String(e, "model", at),
            ModelHash = r.String(e, "model_hash", at),
            Task = r.OptionalString(e, "task", at),
            Shots = r.OptionalInt(e, "shots", at),
            Seed = r.Long(e, "seed", at),
            Measure = r.Enum(e, "measure", at, Enum.GetValues<ImportanceMeasure>(), Name),
            Flow = r.Enum(e, "flow", at, Enum.GetValues<FlowMode>(), Name),
            Selection = r.Enum(e, "selection", at, Enum.GetValues<SelectionMode>(), Name),
            Temperature = r.OptionalDouble(e, "temperature", at),
            Threshold = r.OptionalDouble(e, "threshold", at),
            BaselineAccuracy = r.OptionalDouble(e, "baseline_accuracy", at),
            Evaluations = r.OptionalInt(e, "evaluations", at),
            P = r.OptionalDouble(e, "p", at),
        };
    }

    private static LayerSparsity ReadLayer(Reader r, JsonElement element, string at)
    {
        var e = r.Object(element, at, LayerFields);
        return new LayerSparsity(
            r.String(e, "module", at),
            r.Int(e, "rows", at),
            r.Int(e, "cols", at),
            r.Int(e, "kept_rows", at),
            r.Int(e, "kept_cols", at),
            r.OptionalIntArray(e, "row_indices", at),
            r.OptionalIntArray(e, "col_indices", at))
        {
            Density = r.OptionalDouble(e, "density", at),
        };
    }

    private static void WriteIndices(Utf8JsonWriter w, string name, int[]? indices)
    {
        w.WritePropertyName(name);
        if (indices == null) w.WriteNullValue();
        else w.WriteRawValue("[" + string.Join(",", indices) + "]", skipInputValidation: true);
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    public static string Name(PlanSchedule s) => s switch
    {
        PlanSchedule.Algorithm1 => "algorithm1",
        PlanSchedule.Balanced => "balanced",
        PlanSchedule.Pyramidal => "pyramidal",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    public static string Name(ImportanceMeasure m) => m switch
    {
        ImportanceMeasure.Svd => "svd",
        ImportanceMeasure.Snip => "snip",
        ImportanceMeasure.Imp => "imp",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    public static string Name(FlowMode f) => f switch
    {
        FlowMode.Isolated => "isolated",
        FlowMode.Continuous => "continuous",
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };

    public static string Name(SelectionMode s) => s switch
    {
        SelectionMode.TopK => "top_k",
        SelectionMode.Softmax => "softmax",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    // Typed field access with errors that name the source, the field and what was expected.
    private sealed class Reader(string source)
    {
        public InvalidDataException Error(string field, string what) => new($"sparsity plan '{source}': {field}: {what}");

        public JsonElement Object(JsonElement e, string at, params string[] allowed)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Error(at, $"expected an object, got {e.ValueKind}");
            foreach (var p in e.EnumerateObject())
                if (!allowed.Contains(p.Name))
                    throw Error(at == "(root)" ? p.Name : $"{at}.{p.Name}", $"unknown field (expected one of {string.Join(", ", allowed)})");
            return e;
        }

        public JsonElement Required(JsonElement e, string name, string at) =>
            e.TryGetProperty(name, out var v) ? v : throw Error(Field(at, name), "missing");

        private JsonElement? Optional(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        public string String(JsonElement e, string name, string at)
        {
            var v = Required(e, name, at);
            return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(Field(at, name), $"expected a string, got {v.ValueKind}");
        }

        public string? OptionalString(JsonElement e, string name, string at) =>
            Optional(e, name) is { } v ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error(Field(at, name), $"expected a string or null, got {v.ValueKind}") : null;

        public int Int(JsonElement e, string name, string at) => AsInt(Required(e, name, at), Field(at, name));

        public int? OptionalInt(JsonElement e, string name, string at) => Optional(e, name) is { } v ? AsInt(v, Field(at, name)) : null;

        public long Long(JsonElement e, string name, string at)
        {
            var v = Required(e, name, at);
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : throw Error(Field(at, name), $"expected an integer, got {v.GetRawText()}");
        }

        public double? OptionalDouble(JsonElement e, string name, string at) =>
            Optional(e, name) is { } v ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Error(Field(at, name), $"expected a number or null, got {v.ValueKind}") : null;

        public int[]? OptionalIntArray(JsonElement e, string name, string at)
        {
            if (Optional(e, name) is not { } v) return null;
            var field = Field(at, name);
            if (v.ValueKind != JsonValueKind.Array) throw Error(field, $"expected an array of indices or null, got {v.ValueKind}");
            return v.EnumerateArray().Select((x, i) => AsInt(x, $"{field}[{i}]")).ToArray();
        }

        public T? Enum<T>(JsonElement e, string name, string at, T[] values, Func<T, string> nameOf, bool required = false) where T : struct
        {
            var field = Field(at, name);
            if (Optional(e, name) is not { } v)
                return required ? throw Error(field, $"missing (expected one of {string.Join(", ", values.Select(nameOf))})") : null;
            var s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            foreach (var x in values)
                if (nameOf(x) == s) return x;
            throw Error(field, $"expected one of {string.Join(", ", values.Select(nameOf))}, got {v.GetRawText()}");
        }

        private int AsInt(JsonElement v, string field) =>
            v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var x) ? x : throw Error(field, $"expected an integer, got {(v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.ValueKind.ToString())}");

        private static string Field(string at, string name) => at == "(root)" ? name : $"{at}.{name}";
    }
}
