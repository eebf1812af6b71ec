// The one entry point that shows the host's ML and plotting to scripts: `Bindings.install(into:)`
// registers every binding (models, rewards, tuners, ...) as globals of an interpreter.
import Scripting

public enum Bindings {
    /// Installs all bindings into `interpreter`.
    public static func install(into interpreter: Interpreter) {
        ModelBindings.install(into: interpreter)
        RewardBindings.install(into: interpreter)
        TunerBindings.install(into: interpreter)
    }
}
