namespace GrpcPlugins.Packaging.Internal;

/// <summary>The rules every path inside a package follows, so that no entry can land outside its install folder.</summary>
internal static class EntryPaths
{
    /// <summary>What is wrong with a package path, or null when it is a safe relative path with '/' separators.</summary>
    public static string? Problem(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "is empty";
        }

        if (path.StartsWith('/') || path.StartsWith('\\') || (path.Length >= 2 && path[1] == ':'))
        {
            return "is an absolute path; package paths are relative to the package root";
        }

        if (path.Contains('\\'))
        {
            return "contains '\\'; package paths use '/' between folders";
        }

        if (path.Any(c => char.IsControl(c)) || path.Contains(':'))
        {
            return "contains a control character or ':'";
        }

        var segments = path.Split('/');
        if (segments.Any(s => s is ".." or "."))
        {
            return "contains '.' or '..' and could escape the install folder (zip-slip)";
        }

        if (segments.Any(s => s.Length == 0))
        {
            return "has an empty folder name ('//' or a trailing '/')";
        }

        return path.Length > 1024 ? "is longer than 1024 characters" : null;
    }

    /// <summary>The full path of an entry under a root, or null if it would resolve outside the root.</summary>
    public static string? Resolve(string root, string path)
    {
        var rootFull = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.Combine(rootFull, path));
        return full.StartsWith(Path.TrimEndingDirectorySeparator(rootFull) + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }
}
