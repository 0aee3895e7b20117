using System.Collections;
using System.Reflection;
using System.Text;

namespace Berth.Tests.Faults.Hostile;

/// <summary>
/// Every string (and byte content, as UTF-8) reachable from an object through public properties: what a
/// loaded desired state carries, wherever a field puts it (environment, labels, commands, secret content).
/// </summary>
internal static class ReachableStrings
{
    public static bool Contains(object? root, string token)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([root]);
        while (pending.TryPop(out var value))
        {
            switch (value)
            {
                case null:
                    continue;
                case string text:
                    if (text.Contains(token, StringComparison.Ordinal))
                    {
                        return true;
                    }

                    continue;
                case byte[] bytes:
                    pending.Push(Encoding.UTF8.GetString(bytes));
                    continue;
                case IEnumerable<byte> bytes:
                    pending.Push(Encoding.UTF8.GetString([.. bytes]));
                    continue;
                case Delegate or Type or MemberInfo:
                    continue;
            }

            var type = value.GetType();
            if (type.IsPrimitive || type.IsEnum || value is decimal or DateTime or DateTimeOffset or TimeSpan or Guid || (!type.IsValueType && !visited.Add(value)))
            {
                continue;
            }

            if (value is IEnumerable items)
            {
                foreach (var item in items)
                {
                    pending.Push(item);
                }

                continue;
            }

            if (type.Namespace?.StartsWith("Berth", StringComparison.Ordinal) != true && !type.IsGenericType)
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0)
                {
                    continue;
                }

                try
                {
                    pending.Push(property.GetValue(value));
                }
                catch (TargetInvocationException)
                {
                    // A computed property that refuses in this state (e.g. an empty array's first element): nothing stored there.
                }
            }
        }

        return false;
    }
}
