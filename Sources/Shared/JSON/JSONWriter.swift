import Foundation

extension JSON {
    /// Compact JSON text, members in their stored order.
    public func serialized() -> String {
        var output = ""
        write(to: &output, indent: nil, level: 0)
        return output
    }

    /// Indented JSON text (two spaces, as kubectl prints), members in their stored order.
    public func prettyPrinted() -> String {
        var output = ""
        write(to: &output, indent: "  ", level: 0)
        return output
    }

    public var data: Data { Data(serialized().utf8) }

    private func write(to output: inout String, indent: String?, level: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let value): JSON.writeString(value, to: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output += "[]"
                return
            }
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += "," }
                JSON.newline(&output, indent: indent, level: level + 1)
                element.write(to: &output, indent: indent, level: level + 1)
            }
            JSON.newline(&output, indent: indent, level: level)
            output += "]"
        case .object(let object):
            guard !object.isEmpty else {
                output += "{}"
                return
            }
            output += "{"
            for (offset, member) in object.members.enumerated() {
                if offset > 0 { output += "," }
                JSON.newline(&output, indent: indent, level: level + 1)
                JSON.writeString(member.key, to: &output)
                output += indent == nil ? ":" : ": "
                member.value.write(to: &output, indent: indent, level: level + 1)
            }
            JSON.newline(&output, indent: indent, level: level)
            output += "}"
        }
    }

    private static func newline(_ output: inout String, indent: String?, level: Int) {
        guard let indent else { return }
        output += "\n" + String(repeating: indent, count: level)
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    output += String(format: "\\u%04x", scalar.value)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}

/// Splits a byte stream of concatenated JSON values (a watch response) into whole values, however the
/// chunks fall: a value may arrive in pieces and one chunk may hold several values.
public struct JSONStreamSplitter: Sendable {
    private var buffer: [UInt8] = []
    private var scanned = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var valueStart: Int?

    public init() {}

    /// Adds bytes and returns every value completed by them, in order.
    public mutating func append(_ chunk: some Sequence<UInt8>) -> [Data] {
        buffer.append(contentsOf: chunk)
        var values: [Data] = []
        while scanned < buffer.count {
            let byte = buffer[scanned]
            defer { scanned += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 0 { valueStart = scanned }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0, let start = valueStart {
                    values.append(Data(buffer[start...scanned]))
                    valueStart = nil
                }
            default:
                break
            }
        }
        if depth == 0 && !inString {
            // Everything scanned belongs to finished values; drop it so the buffer stays small.
            buffer.removeAll(keepingCapacity: true)
            scanned = 0
        } else if let start = valueStart, start > 0 {
            buffer.removeFirst(start)
            scanned -= start
            valueStart = 0
        }
        return values
    }

    /// Bytes of an unfinished value still waiting for the rest.
    public var pendingByteCount: Int { depth > 0 || inString ? buffer.count : 0 }
}
