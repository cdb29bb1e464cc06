using System.Globalization;
using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// GTSRB (Stallkamp et al. 2011), 43 classes. Labels always come from the ground-truth CSVs
/// (<c>Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId</c>, ';'-separated), images are PPM:
/// <list type="bullet">
/// <item>train: every <c>GT-000NN.csv</c> below <c>Final_Training/Images/</c> (official) or <c>Training/</c>
/// (GTSRB-Training_fixed.zip); its file names are relative to the CSV's folder, which is <c>000NN/</c> officially or a
/// class name in the named-folder variant (shared/data), whose <c>GTSRB_Class_Names.csv</c> maps ClassId to folder and
/// is checked against the CSV.</item>
/// <item>test: <c>GT-final_test.csv</c> (from GTSRB_Final_Test_GT.zip, or beside the images); images in
/// <c>Final_Test/Images/</c>, directly or in class folders (named variant).</item>
/// </list>
/// Width/Height/ROI describe the original images and are not used (the named variant's images were resized).
/// </summary>
public static class Gtsrb
{
    public const int ClassCount = 43;

    public static bool Has(FileTree tree) => tree.Files.Any(f => f.Name.StartsWith("GT-", StringComparison.Ordinal) && f.Name.EndsWith(".csv", StringComparison.Ordinal));

    public static ImageSplit Read(FileTree tree, string split)
    {
        var folderNames = ClassFolderNames(tree);
        var (entries, labels) = split switch
        {
            "train" => ReadTrain(tree, folderNames),
            "test" => ReadTest(tree),
            _ => throw new ArgumentException($"gtsrb: split '{split}' is not train or test"),
        };
        var names = Enumerable.Range(0, ClassCount).Select(i => folderNames?.GetValueOrDefault(i) ?? i.ToString("D5", CultureInfo.InvariantCulture)).ToList();
        return new FileImageSplit("gtsrb", split, names, tree, entries, labels);
    }

    private static (List<FileEntry>, int[]) ReadTrain(FileTree tree, Dictionary<int, string>? folderNames)
    {
        var csvs = tree.Files.Where(f => f.Name.StartsWith("GT-", StringComparison.Ordinal) && f.Name.EndsWith(".csv", StringComparison.Ordinal)
                                         && f.Name != "GT-final_test.csv" && !f.Name.EndsWith(".test.csv", StringComparison.Ordinal)
                                         && f.Path.Contains("Training/")).ToList();
        if (csvs.Count == 0) throw new FileNotFoundException($"{tree.Location}: no Final_Training/Images/*/GT-000NN.csv found");
        var entries = new List<FileEntry>();
        var labels = new List<int>();
        foreach (var csv in csvs)
        {
            var folder = csv.Folder;
            var folderName = folder[(folder.LastIndexOf('/') + 1)..];
            foreach (var (file, classId, line) in Rows(tree, csv))
            {
                // named-folder variant: the folder must be the one GTSRB_Class_Names.csv gives this ClassId
                if (folderNames != null && folderNames.ContainsValue(folderName) && folderNames[classId] != folderName)
                    throw new InvalidDataException($"{csv.Describe()} line {line}: ClassId {classId} but the folder is '{folderName}', which GTSRB_Class_Names.csv gives another id");
                var path = folder.Length == 0 ? file : $"{folder}/{file}";
                entries.Add(tree.Find(path) ?? throw new FileNotFoundException($"{csv.Describe()} line {line}: image {path} not found"));
                labels.Add(classId);
            }
        }
        return (entries, labels.ToArray());
    }

    private static (List<FileEntry>, int[]) ReadTest(FileTree tree)
    {
        var csv = ReaderSupport.FindFile(tree, "GT-final_test.csv")
                  ?? throw new FileNotFoundException($"{tree.Location}: GT-final_test.csv not found (it is in GTSRB_Final_Test_GT.zip; GT-final_test.test.csv has no labels)");
        var images = tree.Files.Where(f => f.Path.Contains("Final_Test/") && f.Name.EndsWith(".ppm", StringComparison.OrdinalIgnoreCase)).ToList();
        var byName = new Dictionary<string, FileEntry>(StringComparer.Ordinal);
        var dup = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in images)
            if (!byName.TryAdd(f.Name, f)) dup.Add(f.Name);
        var entries = new List<FileEntry>();
        var labels = new List<int>();
        foreach (var (file, classId, line) in Rows(tree, csv))
        {
            if (dup.Contains(file)) throw new InvalidDataException($"{csv.Describe()} line {line}: {file} exists in more than one Final_Test folder");
            entries.Add(byName.TryGetValue(file, out var e) ? e : throw new FileNotFoundException($"{csv.Describe()} line {line}: image {file} not found below Final_Test/"));
            labels.Add(classId);
        }
        return (entries, labels.ToArray());
    }

    private static IEnumerable<(string File, int ClassId, int Line)> Rows(FileTree tree, FileEntry csv)
    {
        var lines = ReaderSupport.Lines(ReaderSupport.Text(tree, csv));
        if (lines.Length == 0) throw new InvalidDataException($"{csv.Describe()}: empty file");
        var header = lines[0].Split(';');
        int iFile = Array.IndexOf(header, "Filename"), iClass = Array.IndexOf(header, "ClassId");
        if (iFile < 0 || iClass < 0) throw new InvalidDataException($"{csv.Describe()}: header '{lines[0]}' lacks Filename or ClassId");
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(';');
            if (f.Length != header.Length)
                throw new InvalidDataException($"{csv.Describe()} line {i + 1}: {f.Length} columns, expected {header.Length}");
            if (!int.TryParse(f[iClass], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) || (uint)c >= ClassCount)
                throw new InvalidDataException($"{csv.Describe()} line {i + 1}: ClassId '{f[iClass]}' is not a label 0…{ClassCount - 1}");
            yield return (f[iFile].Trim(), c, i + 1);
        }
    }

    /// <summary>ClassId → folder name from <c>GTSRB_Class_Names.csv</c> ("id;name" rows, other lines ignored), if present.</summary>
    private static Dictionary<int, string>? ClassFolderNames(FileTree tree)
    {
        if (ReaderSupport.FindFile(tree, "GTSRB_Class_Names.csv") is not { } f) return null;
        var map = new Dictionary<int, string>();
        foreach (var line in ReaderSupport.Lines(ReaderSupport.Text(tree, f)))
        {
            var p = line.Split(';');
            if (p.Length == 2 && int.TryParse(p[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) && (uint)id < ClassCount)
                map[id] = p[1].Trim();
        }
        return map.Count == ClassCount ? map : throw new InvalidDataException($"{f.Describe()}: {map.Count} 'id;folder' rows, expected {ClassCount}");
    }
}
