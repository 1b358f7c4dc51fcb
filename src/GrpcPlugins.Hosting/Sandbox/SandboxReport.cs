namespace GrpcPlugins.Hosting;

/// <summary>
/// How a plugin's sandbox is enforced on this machine, rule by rule: the mechanism used (<c>cgroup-v2</c>,
/// <c>cgroup-v1</c>, <c>rlimit</c>, <c>bubblewrap</c>, <c>namespace</c>, <c>setpriv</c>), or null where nothing was
/// declared or it could not be enforced; those are listed in <see cref="NotEnforced"/> with the reason.
/// </summary>
public sealed record SandboxReport
{
    /// <summary>The report of a plugin that declares nothing.</summary>
    public static SandboxReport None { get; } = new();

    /// <summary>How the memory limit is enforced.</summary>
    public string? Memory { get; init; }

    /// <summary>How the CPU quota is enforced.</summary>
    public string? Cpu { get; init; }

    /// <summary>How the process and thread limit is enforced.</summary>
    public string? Processes { get; init; }

    /// <summary>How the open-file limit is enforced.</summary>
    public string? OpenFiles { get; init; }

    /// <summary>How the file rules are enforced.</summary>
    public string? Files { get; init; }

    /// <summary>How the network rule is enforced.</summary>
    public string? Network { get; init; }

    /// <summary>How no new privileges (no setuid gains) is enforced.</summary>
    public string? NoNewPrivileges { get; init; }

    /// <summary>What is declared but not enforced, each with why, such as "memory: no writable cgroup memory controller".</summary>
    public IReadOnlyList<string> NotEnforced { get; init; } = [];

    /// <summary>One line for logs and status pages, such as "memory=cgroup-v1 network=namespace; not enforced: ...".</summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        var parts = new[] { ("memory", Memory), ("cpu", Cpu), ("processes", Processes), ("openFiles", OpenFiles), ("files", Files), ("network", Network), ("noNewPrivileges", NoNewPrivileges) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={p.Item2}");
        var line = string.Join(' ', parts);
        if (line.Length == 0)
        {
            line = "nothing declared";
        }

        return NotEnforced.Count == 0 ? line : $"{line}; not enforced: {string.Join("; ", NotEnforced)}";
    }
}
