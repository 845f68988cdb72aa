/// The JSON operators of the YAML schema (selection, projection, explode, key by field), as the
/// closures the generic stages run.
enum JSONTransforms {
    /// The value becomes the JSON value at `path`.
    static func select(_ path: FieldPath) -> @Sendable (Record) throws -> Record {
        { record in
            var record = record
            let token = try JSONReader.require(path, in: record.value)
            record.value = Array(record.value[token.range])
            return record
        }
    }

    /// The value becomes an object of the listed fields, each under its output name; a missing
    /// field is a `missingField` record error.
    static func project(_ fields: [(name: String, path: FieldPath)]) -> @Sendable (Record) throws -> Record {
        let names = fields.map { JSONWriter.encodedName(Array($0.name.utf8)) }
        let paths = fields.map(\.path)
        return { record in
            var record = record
            var writer = JSONWriter(capacity: record.value.count)
            for (name, path) in zip(names, paths) {
                let token = try JSONReader.require(path, in: record.value)
                writer.name(name)
                writer.raw(record.value[token.range])
            }
            record.value = writer.finish()
            return record
        }
    }

    /// One record per element of the JSON array at `path`, each element as the value.
    static func explode(_ path: FieldPath) -> @Sendable (Record) throws -> [Record] {
        { record in
            let token = try JSONReader.require(path, in: record.value)
            guard token.kind == .array else {
                throw RecordError(.wrongType, "field `\(path)` is \(token.kindName), not an array")
            }
            var values: [[UInt8]] = []
            try record.value.withUnsafeBufferPointer { buffer in
                var scanner = JSONScanner(buffer, at: token.range.lowerBound)
                try scanner.elements { element in values.append(Array(buffer[element.range])) }
            }
            return values.map { value in
                var element = record
                element.value = value
                return element
            }
        }
    }

    /// The key becomes the field's value: a string's content, or a number's or boolean's text.
    static func keyBy(_ path: FieldPath) -> @Sendable (Record) throws -> [UInt8] {
        { record in
            try JSONReader.scalarBytes(JSONReader.require(path, in: record.value), in: record.value, path: path)
        }
    }
}
