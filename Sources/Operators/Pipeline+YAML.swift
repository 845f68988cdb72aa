import Yams

extension Pipeline {
    /// The operators a YAML pipeline may use, in the order the docs list them.
    public static let yamlOperators = ["filter", "select", "project", "explode", "key_by", "aggregate", "window", "deduplicate"]

    /// Parses a pipeline from YAML text whose root mapping is the pipeline (schema:
    /// docs/PIPELINE.md, "Pipeline YAML schema"). Every mistake is a ``PipelineDefinitionError``
    /// naming the line, the key path and what is allowed; the result is already validated.
    public init(yaml: String) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            var mark: Mark?
            var problem = "\(error)"
            switch error {
            case .scanner(_, let text, let at, _), .parser(_, let text, let at, _), .composer(_, let text, let at, _):
                mark = at
                problem = text
            default:
                break
            }
            throw PipelineDefinitionError(
                .invalidYAML, path: "(document)", line: mark?.line, column: mark?.column,
                message: "the text is not YAML: \(problem)", allowed: "a YAML mapping (docs/PIPELINE.md)")
        } catch {
            throw PipelineDefinitionError(
                .invalidYAML, path: "(document)", message: "the text is not YAML: \(error)", allowed: "a YAML mapping (docs/PIPELINE.md)")
        }
        guard let root else {
            throw PipelineDefinitionError(.missingKey, path: "(document)", line: 1, message: "the document is empty", allowed: "a mapping with `operators`")
        }
        try self.init(yamlNode: root)
    }

    /// Parses a pipeline from a YAML node already composed (for a runtime whose configuration
    /// file holds the pipeline under a key); `path` prefixes the key paths in errors.
    public init(yamlNode node: Node, path: String = "") throws {
        self = try PipelineYAMLParser(prefix: path).pipeline(node)
        try validate()
        definition = YAMLDefinition(node: node, path: path)
    }
}
