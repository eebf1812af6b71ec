// The one entry point through which hosts (the REPL, `gfn run`, tests) give an interpreter the
// host objects: plots, models, rewards, tuners and metrics. Each area installs itself from its own file.

import Scripting

/// Installs every binding into an interpreter.
public enum Bindings {
    /// Registers the builtins, module objects and methods of every area into `interpreter`.
    public static func install(into interpreter: Interpreter) {
        PlotBindings.install(into: interpreter)
        ModelBindings.install(into: interpreter)
        RewardBindings.install(into: interpreter)
        TunerBindings.install(into: interpreter)
        BaselineBindings.install(into: interpreter)
        MetricBindings.install(into: interpreter)
        EnvironmentObject.install(into: interpreter)
        ProcessBindings.install(into: interpreter)
    }
}
