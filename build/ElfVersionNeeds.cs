// Shared by the build (compiled by RoslynCodeTaskFactory in build/GlibcxxFix.targets, which also
// gets the MSBuild task at the end of this file) and by the library (linked into src/PartialLoRA with
// PARTIALLORA_LIBRARY defined, to report the fix in `partial-lora info`). BCL only: the inline task
// compiles this one file on its own, against netstandard2.0 (hence no spans, no File.Move overwrite).
#nullable enable
using System;
using System.IO;
using System.Text;

namespace PartialLoRA.Build
{
    /// <summary>
    /// Reads and edits the GNU version-needs table (<c>.gnu.version_r</c>) of an ELF64 little-endian
    /// shared object. Used to mark libLibTorchSharp.so's need for <c>GLIBCXX_3.4.32</c> as weak
    /// (VER_FLG_WEAK = 0x2): the only symbol bound to that version, <c>_ZSt21ios_base_library_initv</c>,
    /// is never called, so the library loads and works on systems whose libstdc++ stops at 3.4.30.
    /// </summary>
    public static class ElfVersionNeeds
    {
        public const string GlibcxxVersion = "GLIBCXX_3.4.32";
        public const ushort VerFlgWeak = 0x2;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Flags of the version need <paramref name="versionName"/>, or null when the file does not need it.</summary>
        public static ushort? ReadFlags(string path, string versionName)
        {
            var bytes = File.ReadAllBytes(path);
            var at = FindVernaux(bytes, path, versionName);
            return at < 0 ? (ushort?)null : BitConverter.ToUInt16(bytes, at + 4);
        }

        /// <summary>Sets VER_FLG_WEAK on the need for <paramref name="versionName"/>; false when there is nothing to do.</summary>
        public static bool MarkWeak(string path, string versionName) => SetWeak(path, versionName, true);

        /// <summary>
        /// Sets or clears VER_FLG_WEAK on the need for <paramref name="versionName"/>. Writes a new file (temp
        /// then rename) so a hard-linked copy never edits its source. Returns false when nothing changed.
        /// </summary>
        public static bool SetWeak(string path, string versionName, bool weak)
        {
            var bytes = File.ReadAllBytes(path);
            var at = FindVernaux(bytes, path, versionName);
            if (at < 0) return false;
            var old = BitConverter.ToUInt16(bytes, at + 4);
            var flags = (ushort)(weak ? old | VerFlgWeak : old & ~VerFlgWeak);
            if (flags == old) return false;
            // Copy (keeps the file mode), patch the copy, then rename it over the original: atomic, and a
            // hard-linked original (e.g. into a package cache) is replaced rather than written through.
            var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            try
            {
                File.Copy(path, tmp);
                using (var f = new FileStream(tmp, FileMode.Open, FileAccess.Write))
                {
                    f.Position = at + 4;
                    f.WriteByte((byte)(flags & 0xff));
                    f.WriteByte((byte)(flags >> 8));
                }
                File.Replace(tmp, path, null);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
            return true;
        }

        /// <summary>True when a libstdc++ file defines (or at least names) <paramref name="versionName"/>.</summary>
        public static bool FileMentions(string path, string versionName)
        {
            var needle = Encoding.ASCII.GetBytes(versionName + "\0");
            var hay = File.ReadAllBytes(path);
            for (int i = 0; i + needle.Length <= hay.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && hay[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        /// <summary>The system's libstdc++.so.6 in the usual Linux locations, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            string[] dirs =
            {
                "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
            };
            foreach (var d in dirs)
            {
                var p = Path.Combine(d, "libstdc++.so.6");
                if (File.Exists(p)) return p;
            }
            return null;
        }

        /// <summary>True when the system libstdc++ lacks GLIBCXX_3.4.32 (or none is found), i.e. the fix is needed.</summary>
        public static bool SystemNeedsGlibcxxFix()
        {
            var lib = FindSystemLibStdCxx();
            return lib == null || !FileMentions(lib, GlibcxxVersion);
        }

        // Returns the file offset of the Vernaux entry naming versionName, or -1.
        private static int FindVernaux(byte[] b, string path, string versionName)
        {
            if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
                throw new InvalidDataException($"{path}: not an ELF file");
            if (b[4] != 2 || b[5] != 1)
                throw new InvalidDataException($"{path}: only ELF64 little-endian is supported (class {b[4]}, data {b[5]})");
            long shoff = BitConverter.ToInt64(b, 0x28);
            int shentsize = BitConverter.ToUInt16(b, 0x3A);
            int shnum = BitConverter.ToUInt16(b, 0x3C);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > b.Length)
                throw new InvalidDataException($"{path}: section header table out of range (offset {shoff}, {shnum} × {shentsize} bytes, file {b.Length} bytes)");
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (BitConverter.ToUInt32(b, (int)sh + 4) != ShtGnuVerneed) continue;
                long off = BitConverter.ToInt64(b, (int)sh + 0x18);
                long size = BitConverter.ToInt64(b, (int)sh + 0x20);
                int link = (int)BitConverter.ToUInt32(b, (int)sh + 0x28);
                int count = (int)BitConverter.ToUInt32(b, (int)sh + 0x2C);
                if (link >= shnum || off < 0 || off + size > b.Length)
                    throw new InvalidDataException($"{path}: .gnu.version_r out of range");
                long strSh = shoff + (long)link * shentsize;
                long strOff = BitConverter.ToInt64(b, (int)strSh + 0x18);
                long strSize = BitConverter.ToInt64(b, (int)strSh + 0x20);
                long vn = off;
                for (int n = 0; n < count; n++)
                {
                    int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                    long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                    for (int a = 0; a < cnt; a++)
                    {
                        uint name = BitConverter.ToUInt32(b, (int)aux + 8);
                        if (name < strSize && ReadCString(b, strOff + name) == versionName) return (int)aux;
                        uint next = BitConverter.ToUInt32(b, (int)aux + 12);
                        if (next == 0) break;
                        aux += next;
                    }
                    uint vnNext = BitConverter.ToUInt32(b, (int)vn + 12);
                    if (vnNext == 0) break;
                    vn += vnNext;
                }
            }
            return -1;
        }

        private static string ReadCString(byte[] b, long at)
        {
            long end = at;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
        }
    }
}

#if !PARTIALLORA_LIBRARY
namespace PartialLoRA.Build
{
    /// <summary>MSBuild task: marks GLIBCXX_3.4.32 weak in every libLibTorchSharp.so under the given files.</summary>
    public class GlibcxxFix : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            if (!ElfVersionNeeds.SystemNeedsGlibcxxFix())
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    "GlibcxxFix: the system libstdc++ has " + ElfVersionNeeds.GlibcxxVersion + "; nothing to patch.");
                return true;
            }
            foreach (var item in Files)
            {
                var path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                try
                {
                    if (ElfVersionNeeds.MarkWeak(path, ElfVersionNeeds.GlibcxxVersion))
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                            "GlibcxxFix: marked " + ElfVersionNeeds.GlibcxxVersion + " weak in " + path);
                }
                catch (Exception e)
                {
                    Log.LogError("GlibcxxFix: could not patch " + path + ": " + e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
}
#endif
