import Foundation

/// An Application Gateway read from ARM, kept as the JSON document it came in. Edits touch only named
/// entries of named collections; every other value — including properties newer than our api-version —
/// goes back exactly as it came.
public struct GatewayDocument: Sendable, Equatable {
    public private(set) var json: JSON
    public let id: ResourceID

    /// The `properties` arrays kubectl-agw reads or edits.
    public enum Collection: String, Sendable, CaseIterable {
        case backendAddressPools
        case backendHttpSettingsCollection
        case probes
        case httpListeners
        case frontendPorts
        case frontendIPConfigurations
        case requestRoutingRules
        case urlPathMaps
        case sslCertificates
        case gatewayIPConfigurations
    }

    public init(_ json: JSON) throws(GatewayDocumentError) {
        guard json.objectValue != nil else { throw .notAnObject }
        guard let text = json["id"]?.stringValue else { throw .missingField("id") }
        do {
            id = try ResourceID(parsing: text)
        } catch {
            throw .invalidID(text)
        }
        guard json["properties"]?.objectValue != nil else { throw .missingField("properties") }
        self.json = json
    }

    public var name: String { json["name"]?.stringValue ?? id.name }
    public var location: String? { json["location"]?.stringValue }
    public var etag: String? { json["etag"]?.stringValue }
    public var tags: [String: String] {
        var result: [String: String] = [:]
        for member in json["tags"]?.objectValue ?? JSONObject() { result[member.key] = member.value.stringValue ?? "" }
        return result
    }
    public var skuName: String? { json.value(at: "properties", "sku", "name")?.stringValue }
    public var skuTier: String? { json.value(at: "properties", "sku", "tier")?.stringValue }
    public var operationalState: String? { json.value(at: "properties", "operationalState")?.stringValue }
    public var provisioningState: String? { json.value(at: "properties", "provisioningState")?.stringValue }

    public func items(_ collection: Collection) -> [JSON] {
        json.value(at: "properties", collection.rawValue)?.arrayValue ?? []
    }

    public func item(_ collection: Collection, named name: String) -> JSON? {
        items(collection).first { $0["name"]?.stringValue == name }
    }

    /// Adds an entry, or replaces the entry of the same name in its place (order is kept).
    public mutating func upsert(_ collection: Collection, _ item: JSON) {
        guard let name = item["name"]?.stringValue else { return }
        var entries = items(collection)
        if let index = entries.firstIndex(where: { $0["name"]?.stringValue == name }) {
            entries[index] = item
        } else {
            entries.append(item)
        }
        setItems(collection, entries)
    }

    /// Removes the entry of that name, if present.
    public mutating func remove(_ collection: Collection, named name: String) {
        setItems(collection, items(collection).filter { $0["name"]?.stringValue != name })
    }

    private mutating func setItems(_ collection: Collection, _ entries: [JSON]) {
        guard case .object(var root) = json, case .object(var properties)? = root["properties"] else { return }
        properties[collection.rawValue] = .array(entries)
        root["properties"] = .object(properties)
        json = .object(root)
    }

    /// The full ID of a sub-resource, as references inside the document need it.
    public func subresourceID(_ collection: Collection, _ name: String) -> String {
        id.child(collection.rawValue, name).description
    }
}

/// Why a response is not a gateway document.
public enum GatewayDocumentError: Error, Equatable, CustomStringConvertible, Sendable {
    case notAnObject
    case missingField(String)
    case invalidID(String)

    public var description: String {
        switch self {
        case .notAnObject: return "the gateway document is not a JSON object"
        case .missingField(let field): return "the gateway document has no \(field)"
        case .invalidID(let id): return "the gateway document's id \"\(id)\" is not a resource ID"
        }
    }
}
