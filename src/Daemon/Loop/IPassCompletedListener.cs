using Berth.Reconciler.Loop;

namespace Berth.Daemon.Loop;

/// <summary>Told about every completed pass (systemd STATUS=, later metrics). Must be quick and must not throw; the loop logs it if it does.</summary>
public interface IPassCompletedListener
{
    void OnPassCompleted(PassRecord pass);
}
