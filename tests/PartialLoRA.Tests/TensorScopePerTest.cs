using System.Reflection;
using TorchSharp;
using Xunit.Sdk;

[assembly: PartialLoRA.Tests.TensorScopePerTest]

namespace PartialLoRA.Tests;

/// <summary>
/// Runs every synchronous test inside a TorchSharp dispose scope, so that the tensors a test creates on its thread
/// stay referenced until the test ends and are then freed at once. Without it, a temporary such as the argument of
/// <c>torch.allclose(a.Logits(x), …)</c> is unreachable while libtorch still reads it; TorchSharp passes only the
/// native handle, so a garbage collection started by a test on the other thread can finalize the wrapper and free
/// the native tensor mid-call. The test host then crashes at random (CI saw a segfault in libtorch's
/// <c>bump_version</c>) or reports "Inplace update to inference tensor outside InferenceMode" on a freed tensor.
/// Async tests are left alone: their continuations may run on other threads, and a scope belongs to one thread.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class TensorScopePerTest : BeforeAfterTestAttribute
{
    [ThreadStatic] private static (DisposeScope Scope, MethodInfo Test)? open;

    public override void Before(MethodInfo methodUnderTest)
    {
        if (IsAsync(methodUnderTest)) return;
        if (open is { } stale)
            throw new InvalidOperationException($"the dispose scope of {stale.Test.Name} was never closed on this thread");
        _ = TestSupport.Torch;   // libtorch starts the project's way before TorchSharp's static state is touched
        open = (torch.NewDisposeScope(), methodUnderTest);
    }

    public override void After(MethodInfo methodUnderTest)
    {
        if (IsAsync(methodUnderTest)) return;
        // A synchronous test runs Before, its body and After on one thread; anything else would leave the scope
        // on a thread that other tests reuse, so it fails the test loudly.
        if (open is not { } mine || mine.Test != methodUnderTest)
            throw new InvalidOperationException($"{methodUnderTest.Name}: After ran on another thread than Before; its dispose scope is left open");
        open = null;
        mine.Scope.Dispose();
    }

    private static bool IsAsync(MethodInfo m) =>
        typeof(Task).IsAssignableFrom(m.ReturnType) || m.ReturnType == typeof(ValueTask) ||
        (m.ReturnType.IsGenericType && m.ReturnType.GetGenericTypeDefinition() == typeof(ValueTask<>));
}

public class TensorScopePerTestTests
{
    private static void SyncTest() { }
    private static void OtherSyncTest() { }
    private static Task AsyncTest() => Task.CompletedTask;

    // Async, so that the assembly-level attribute leaves this test's thread without a scope of its own; the calls
    // below all run before the first await, on one thread.
    [Fact]
    public async Task A_synchronous_test_gets_a_scope_that_after_disposes_and_an_async_test_gets_none()
    {
        var attribute = new TensorScopePerTest();
        var sync = typeof(TensorScopePerTestTests).GetMethod(nameof(SyncTest), BindingFlags.NonPublic | BindingFlags.Static)!;
        var async = typeof(TensorScopePerTestTests).GetMethod(nameof(AsyncTest), BindingFlags.NonPublic | BindingFlags.Static)!;

        attribute.Before(sync);
        var inside = torch.ones(3);
        attribute.After(sync);
        Assert.True(inside.IsInvalid);   // disposed with the test's scope

        attribute.Before(async);
        var outside = torch.ones(3);
        attribute.After(async);
        Assert.False(outside.IsInvalid);
        outside.Dispose();

        var other = typeof(TensorScopePerTestTests).GetMethod(nameof(OtherSyncTest), BindingFlags.NonPublic | BindingFlags.Static)!;
        attribute.Before(sync);
        var e = Assert.Throws<InvalidOperationException>(() => attribute.After(other));
        Assert.Contains("another thread", e.Message);
        attribute.After(sync);
        await Task.CompletedTask;
    }
}
