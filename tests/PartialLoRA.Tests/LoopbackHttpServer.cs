using System.Net;
using System.Net.Sockets;

namespace PartialLoRA.Tests;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 for download tests: serves byte arrays by path, honours Range requests, and
/// can cut the connection after a number of bytes to simulate a dropped download.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, byte[]> files = new();
    private readonly Task loop;

    public Uri BaseUrl { get; }
    public List<string> Requests { get; } = [];

    /// <summary>When set, the next response is cut after this many body bytes.</summary>
    public int? CutNextAfter { get; set; }
    public bool IgnoreRange { get; set; }

    public LoopbackHttpServer()
    {
        var port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(BaseUrl.ToString());
        listener.Start();
        loop = Task.Run(Serve);
    }

    public Uri Add(string path, byte[] content)
    {
        lock (files) files["/" + path] = content;
        return new Uri(BaseUrl, path);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch { return; }
            var path = ctx.Request.Url!.AbsolutePath;
            var range = ctx.Request.Headers["Range"];
            lock (Requests) Requests.Add($"{path} {range}".Trim());
            byte[]? body;
            lock (files) files.TryGetValue(path, out body);
            var resp = ctx.Response;
            try
            {
                if (body == null) { resp.StatusCode = 404; resp.Close(); continue; }
                long start = 0;
                if (range != null && !IgnoreRange && range.StartsWith("bytes=") && range.EndsWith("-"))
                {
                    start = long.Parse(range[6..^1]);
                    if (start >= body.Length) { resp.StatusCode = 416; resp.Close(); continue; }
                    resp.StatusCode = 206;
                    resp.Headers["Content-Range"] = $"bytes {start}-{body.Length - 1}/{body.Length}";
                }
                var len = body.Length - (int)start;
                resp.ContentLength64 = len;
                var cut = CutNextAfter;
                CutNextAfter = null;
                if (cut is { } c && c < len)
                {
                    await resp.OutputStream.WriteAsync(body.AsMemory((int)start, c));
                    await resp.OutputStream.FlushAsync();
                    resp.Abort();
                    continue;
                }
                await resp.OutputStream.WriteAsync(body.AsMemory((int)start, len));
                resp.Close();
            }
            catch (HttpListenerException) { }
            catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { loop.Wait(2000); } catch { }
    }
}
