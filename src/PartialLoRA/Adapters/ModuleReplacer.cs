using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters;

/// <summary>
/// Puts a module in place of another inside its parent, as PEFT's <c>_replace_module</c> does with setattr: by
/// the parent's field that holds it (the field is set by reflection and the child re-registered), or by index
/// in a ModuleList. Children keep their registration order, so named_modules and state_dict order do not change.
/// </summary>
internal static class ModuleReplacer
{
    public static void Replace(nn.Module root, string path, nn.Module current, nn.Module replacement)
    {
        var dot = path.LastIndexOf('.');
        var parentPath = dot < 0 ? "" : path[..dot];
        var name = dot < 0 ? path : path[(dot + 1)..];
        var parent = parentPath == "" ? root : FindModule(root, parentPath)
            ?? throw new InvalidOperationException($"module '{path}': parent '{parentPath}' not found in named_modules");

        if (!SetInIndexedList(parent, path, name, current, replacement) && !SetInField(parent, path, name, current, replacement))
            throw new InvalidOperationException(
                $"module '{path}': its parent ({parent.GetType().Name}) holds it neither in a field nor in a ModuleList; " +
                "declare the layer as a field of type Module<Tensor,Tensor> (or keep it in a ModuleList) so adapters can wrap it");
        Reregister(parent, name, replacement);
    }

    public static nn.Module? FindModule(nn.Module root, string path)
    {
        foreach (var (n, m) in root.named_modules())
            if (n == path) return m;
        return null;
    }

    private static bool SetInIndexedList(nn.Module parent, string path, string name, nn.Module current, nn.Module replacement)
    {
        if (!int.TryParse(name, out var index)) return false;
        var indexer = parent.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.GetIndexParameters() is [{ ParameterType: var t }] && t == typeof(int) && p.CanWrite);
        if (indexer == null) return false;
        var held = indexer.GetValue(parent, [index]);
        if (!ReferenceEquals(held, current)) return false;
        if (!indexer.PropertyType.IsInstanceOfType(replacement))
            throw new InvalidOperationException(
                $"module '{path}': the list {parent.GetType().Name} holds {indexer.PropertyType.Name} items and cannot hold the adapter " +
                $"{replacement.GetType().Name}; declare it as ModuleList<Module<Tensor,Tensor>>");
        indexer.SetValue(parent, replacement, [index]);
        return true;
    }

    private static bool SetInField(nn.Module parent, string path, string name, nn.Module current, nn.Module replacement)
    {
        var fields = new List<FieldInfo>();
        for (var t = parent.GetType(); t != null && t != typeof(object); t = t.BaseType)
            fields.AddRange(t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        var holding = fields.Where(f => ReferenceEquals(f.GetValue(parent), current)).ToList();
        if (holding.Count == 0) return false;
        var field = holding.FirstOrDefault(f => f.Name == name) ?? holding[0];
        if (!field.FieldType.IsInstanceOfType(replacement))
            throw new InvalidOperationException(
                $"module '{path}': field {parent.GetType().Name}.{field.Name} is declared as {field.FieldType.Name} and cannot hold " +
                $"the adapter {replacement.GetType().Name}; declare it as Module<Tensor,Tensor>");
        foreach (var f in holding) f.SetValue(parent, replacement);
        return true;
    }

    // register_module(name, null) removes a child; removing and re-adding the later siblings keeps the order.
    private static void Reregister(nn.Module parent, string name, nn.Module replacement)
    {
        var children = parent.named_children().ToList();
        var at = children.FindIndex(c => c.name == name);
        if (at < 0) throw new InvalidOperationException($"'{name}' is not a registered child of {parent.GetType().Name}");
        for (var i = at; i < children.Count; i++) parent.register_module(children[i].name, null!);
        for (var i = at; i < children.Count; i++) parent.register_module(children[i].name, i == at ? replacement : children[i].module);
    }
}
