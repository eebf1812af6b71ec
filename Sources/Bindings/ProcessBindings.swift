// `rank()` and `world_size()`: which process of a run across processes (`mpirun -np N gfn run …`)
// a script is, so it can do something on one rank only. Tuners split their steps across the ranks
// by themselves, and rank 0 alone prints, saves figures, adapters, metrics and checkpoints.
import ProcessGroups
import Scripting

enum ProcessBindings {
    static let functions: [NativeFunction] = [
        NativeFunction("rank()", summary: "This process's index in a run across processes (mpirun -np N): 0 … world_size() − 1; 0 in a plain run.",
                       details: "Under mpirun every rank runs the whole script; tuners split each step's micro-batches across the ranks and keep " +
                           "their adapters identical. Rank 0 alone prints, draws progress bars, saves figures and adapters and writes metrics.jsonl " +
                           "and checkpoints; the others' print and figure output is dropped. Test rank() == 0 to do anything else once, e.g. write a file (docs/scaling.md).",
                       example: "if rank() == 0 {\n  print(\"rank\", rank(), \"of\", world_size())\n}\n# expect: rank 0 of 1",
                       category: "ml") { _ in
            .int(ProcessGroup.world.rank)
        },
        NativeFunction("world_size()", summary: "How many processes the run has (mpirun -np N); 1 in a plain run.",
                       example: "print(world_size() >= 1)  # expect: true",
                       category: "ml") { _ in
            .int(ProcessGroup.world.size)
        },
    ]

    static func install(into interpreter: Interpreter) {
        for f in functions { interpreter.register(f) }
    }
}
