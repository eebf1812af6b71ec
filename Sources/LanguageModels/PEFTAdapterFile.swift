import Foundation
import ModelFormats
import Tensors

/// LoRA adapters in PEFT's on-disk layout, so an adapter trained here loads with
/// `PeftModel.from_pretrained(base, dir)` and one trained with PEFT loads here:
/// - `adapter_config.json`: `peft_type` "LORA", `r`, `lora_alpha`, `lora_dropout`, `target_modules`,
///   `fan_in_fan_out` (true for GPT-2's Conv1D), `bias` "none", `task_type` "CAUSAL_LM".
/// - `adapter_model.safetensors`: Float32 `base_model.model.<module path>.lora_A.weight` [r, in] and
///   `….lora_B.weight` [out, r], e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`.
public enum PEFTAdapterFile {
    static let prefix = "base_model.model."

    /// Writes the model's attached adapters to `directory` (created if needed).
    public static func save(_ model: Transformer, to directory: String, baseModelName: String? = nil) throws {
        guard let configuration = model.loraConfiguration else {
            throw LanguageModelError("save adapter", "the model has no adapters attached")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LanguageModelError(directory, "cannot create the directory: \(error.localizedDescription)")
        }
        var tensors: [SafetensorsWriter.Tensor] = []
        for adapter in model.adapters {
            tensors.append(.init(name: prefix + adapter.modulePath + ".lora_A.weight", shape: adapter.a.shape, values: adapter.a.scalars))
            tensors.append(.init(name: prefix + adapter.modulePath + ".lora_B.weight", shape: adapter.b.shape, values: adapter.b.scalars))
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"],
                                    to: (directory as NSString).appendingPathComponent("adapter_model.safetensors"))
        let json: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": configuration.rank, "lora_alpha": Double(configuration.alpha),
            "lora_dropout": Double(configuration.dropout), "target_modules": configuration.targetModules.sorted(),
            "bias": "none", "fan_in_fan_out": model.config.family == .gpt2, "inference_mode": true,
            "init_lora_weights": true, "use_rslora": false, "use_dora": false, "modules_to_save": NSNull(),
            "layers_to_transform": NSNull(), "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](),
            "base_model_name_or_path": baseModelName ?? NSNull(), "revision": NSNull(),
        ]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        let path = (directory as NSString).appendingPathComponent("adapter_config.json")
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw LanguageModelError(path, "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads `directory` and attaches its adapters to `model` (which must have none attached).
    public static func load(_ directory: String, into model: Transformer) throws {
        let configPath = (directory as NSString).appendingPathComponent("adapter_config.json")
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw LanguageModelError(configPath, "cannot read the adapter configuration")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LanguageModelError(configPath, "not a JSON object")
        }
        if let type = root["peft_type"] as? String, type != "LORA" {
            throw LanguageModelError(configPath, "peft_type '\(type)' is not supported (LORA is)")
        }
        guard let rank = (root["r"] as? NSNumber)?.intValue else { throw LanguageModelError(configPath, "field 'r' is missing") }
        let alpha = (root["lora_alpha"] as? NSNumber)?.floatValue ?? 8
        let dropout = (root["lora_dropout"] as? NSNumber)?.floatValue ?? 0
        let targets: [String]
        if let list = root["target_modules"] as? [String] { targets = list } else if let one = root["target_modules"] as? String {
            targets = [one]
        } else { throw LanguageModelError(configPath, "field 'target_modules' is missing") }
        if (root["use_dora"] as? Bool) == true || (root["use_rslora"] as? Bool) == true {
            throw LanguageModelError(configPath, "DoRA and rsLoRA adapters are not supported")
        }
        if let bias = root["bias"] as? String, bias != "none" {
            throw LanguageModelError(configPath, "bias '\(bias)' is not supported (none is)")
        }
        let configuration = LoRAConfiguration(rank: rank, alpha: alpha, dropout: dropout, targetModules: targets)
        let weightsPath = (directory as NSString).appendingPathComponent("adapter_model.safetensors")
        let file = try SafetensorsFile(path: weightsPath)
        var pairs: [String: (a: Tensor?, b: Tensor?)] = [:]
        for name in file.tensorNames {
            guard name.hasPrefix(prefix) else { throw LanguageModelError(weightsPath, "unexpected tensor '\(name)'") }
            let body = name.dropFirst(prefix.count)
            let isA = body.hasSuffix(".lora_A.weight"), isB = body.hasSuffix(".lora_B.weight")
            guard isA || isB else { throw LanguageModelError(weightsPath, "tensor '\(name)' is not a lora_A or lora_B weight") }
            let path = String(body.dropLast(".lora_A.weight".count))
            guard let info = file.tensorInfo(name), info.shape.count == 2 else {
                throw LanguageModelError(weightsPath, "tensor '\(name)' is not a matrix")
            }
            let values = try file.floats(name)
            if let bad = values.first(where: { !$0.isFinite }) {
                throw LanguageModelError(weightsPath, "tensor '\(name)' holds \(bad): the file is damaged")
            }
            let t = try Tensor(shape: info.shape, scalars: values)
            if isA { pairs[path, default: (nil, nil)].a = t } else { pairs[path, default: (nil, nil)].b = t }
        }
        var adapters: [String: LoRAAdapter] = [:]
        for (path, pair) in pairs {
            guard let a = pair.a, let b = pair.b else { throw LanguageModelError(weightsPath, "\(path) lacks lora_A or lora_B") }
            adapters[path] = LoRAAdapter(modulePath: path, a: a, b: b, scaling: configuration.scaling, dropout: dropout)
        }
        try model.attach(adapters, configuration: configuration)
    }
}
