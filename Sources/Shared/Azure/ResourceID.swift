import Foundation

/// An Azure resource ID, `/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{childType}/{childName}…]`.
/// Parsing is strict; comparison ignores case, as ARM does.
public struct ResourceID: Sendable, Hashable, CustomStringConvertible, Comparable {
    public let subscription: String
    public let resourceGroup: String
    public let providerNamespace: String
    /// Type and name pairs after the provider: `[("applicationGateways", "gw"), ("backendAddressPools", "pool")]`.
    public let segments: [(type: String, name: String)]

    public init(subscription: String, resourceGroup: String, providerNamespace: String, segments: [(type: String, name: String)]) {
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.providerNamespace = providerNamespace
        self.segments = segments
    }

    /// An Application Gateway's ID.
    public static func applicationGateway(subscription: String, resourceGroup: String, name: String) -> ResourceID {
        ResourceID(
            subscription: subscription, resourceGroup: resourceGroup, providerNamespace: "Microsoft.Network",
            segments: [("applicationGateways", name)])
    }

    /// Parses an ID; throws with the reason when it is not one.
    public init(parsing text: String) throws(ResourceIDError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 9, parts[0].isEmpty else {
            throw .malformed(text, "expected /subscriptions/…/resourceGroups/…/providers/…/{type}/{name}")
        }
        guard parts[1].caseInsensitiveCompare("subscriptions") == .orderedSame, !parts[2].isEmpty else {
            throw .malformed(text, "it must start with /subscriptions/{subscription-id}")
        }
        guard parts[3].caseInsensitiveCompare("resourceGroups") == .orderedSame, !parts[4].isEmpty else {
            throw .malformed(text, "the resource group is missing (/resourceGroups/{name})")
        }
        guard parts[5].caseInsensitiveCompare("providers") == .orderedSame, !parts[6].isEmpty else {
            throw .malformed(text, "the provider is missing (/providers/{namespace})")
        }
        let rest = Array(parts[7...])
        guard rest.count % 2 == 0, rest.allSatisfy({ !$0.isEmpty }) else {
            throw .malformed(text, "types and names must come in pairs after the provider")
        }
        subscription = parts[2]
        resourceGroup = parts[4]
        providerNamespace = parts[6]
        segments = stride(from: 0, to: rest.count, by: 2).map { (rest[$0], rest[$0 + 1]) }
    }

    public var name: String { segments.last?.name ?? "" }
    public var type: String { ([providerNamespace] + segments.map(\.type)).joined(separator: "/") }

    /// The ID of a child, e.g. a gateway's `backendAddressPools/{name}`.
    public func child(_ type: String, _ name: String) -> ResourceID {
        ResourceID(
            subscription: subscription, resourceGroup: resourceGroup, providerNamespace: providerNamespace,
            segments: segments + [(type, name)])
    }

    /// The top-level resource a child belongs to.
    public var root: ResourceID {
        ResourceID(
            subscription: subscription, resourceGroup: resourceGroup, providerNamespace: providerNamespace,
            segments: Array(segments.prefix(1)))
    }

    public var description: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(providerNamespace)"
            + segments.map { "/\($0.type)/\($0.name)" }.joined()
    }

    private var key: String { description.lowercased() }

    public static func == (lhs: ResourceID, rhs: ResourceID) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
    public static func < (lhs: ResourceID, rhs: ResourceID) -> Bool { lhs.key < rhs.key }
}

/// Why a text is not a resource ID.
public enum ResourceIDError: Error, Equatable, CustomStringConvertible, Sendable {
    case malformed(String, String)

    public var description: String {
        switch self {
        case .malformed(let text, let reason): return "\"\(text)\" is not an Azure resource ID: \(reason)"
        }
    }
}
