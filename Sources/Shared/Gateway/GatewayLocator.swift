import Foundation

/// Finds a gateway the way users name it: a full resource ID, `-g GROUP --gateway NAME`, or a bare name
/// looked up across the subscription.
public struct GatewayLocator: Sendable {
    public let arm: any ResourceManager
    public let subscription: String
    /// Completion's gateway names: a subscription-wide list replaces them, a gateway read is added.
    public let cache: GatewayCache?

    public init(arm: any ResourceManager, subscription: String, cache: GatewayCache? = nil) {
        self.arm = arm
        self.subscription = subscription
        self.cache = cache
    }

    /// The gateway and the etag it was read with.
    public func locate(_ reference: String, resourceGroup: String?, operation: ARMOperation) async throws -> GatewayDocument {
        let id = try await resolveID(reference, resourceGroup: resourceGroup, operation: operation)
        let response = try await arm.get(id.description, operation: operation)
        guard let body = response.body else { throw ARMError.invalidResponse("the gateway \(id) came back without a body") }
        let document = try GatewayDocument(body)
        cache?.remember([GatewayCache.Entry(name: document.name, resourceGroup: document.id.resourceGroup)], subscription: subscription)
        return document
    }

    /// Turns what the user typed into a resource ID, listing the subscription only for a bare name.
    public func resolveID(_ reference: String, resourceGroup: String?, operation: ARMOperation) async throws -> ResourceID {
        if reference.hasPrefix("/") {
            let id = try ResourceID(parsing: reference)
            guard id.providerNamespace.caseInsensitiveCompare("Microsoft.Network") == .orderedSame, id.segments.count == 1,
                id.segments[0].type.caseInsensitiveCompare("applicationGateways") == .orderedSame
            else {
                throw GatewayLocatorError.notAGateway(reference)
            }
            return id
        }
        guard Self.isValidName(reference) else { throw GatewayLocatorError.invalidName(reference) }
        if let resourceGroup, !resourceGroup.isEmpty {
            return .applicationGateway(subscription: subscription, resourceGroup: resourceGroup, name: reference)
        }
        let all = try await arm.list("/subscriptions/\(subscription)/providers/Microsoft.Network/applicationGateways", operation: operation)
        cache?.store(GatewayCache.entries(fromList: all), subscription: subscription)
        let matches = all.compactMap { $0["id"]?.stringValue.flatMap { try? ResourceID(parsing: $0) } }
            .filter { $0.name.caseInsensitiveCompare(reference) == .orderedSame }
            .sorted()
        switch matches.count {
        case 0: throw GatewayLocatorError.notFound(name: reference, subscription: subscription)
        case 1: return matches[0]
        default: throw GatewayLocatorError.ambiguous(name: reference, candidates: matches)
        }
    }

    /// Gateway names: 1–80 characters, letters, digits, `.`, `-`, `_`, starting with a letter or digit.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, (1...80).contains(name.count), first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
    }
}

/// Why a gateway reference did not lead to one gateway.
public enum GatewayLocatorError: Error, Equatable, CustomStringConvertible, Sendable {
    case notFound(name: String, subscription: String)
    case ambiguous(name: String, candidates: [ResourceID])
    case notAGateway(String)
    case invalidName(String)

    public var description: String {
        switch self {
        case .notFound(let name, let subscription):
            return
                "no Application Gateway named '\(name)' in subscription \(subscription); list them with 'az network application-gateway list -o table', or pass --subscription or the full resource ID"
        case .ambiguous(let name, let candidates):
            let groups = candidates.map { "\($0.name) (resource group \($0.resourceGroup))" }.joined(separator: ", ")
            return "more than one Application Gateway is named '\(name)': \(groups); pass -g/--resource-group or the full resource ID"
        case .notAGateway(let id):
            return "\(id) is not an Application Gateway ID (expected …/providers/Microsoft.Network/applicationGateways/{name})"
        case .invalidName(let name):
            return
                "'\(name)' is not a valid Application Gateway name (1-80 letters, digits, '.', '-' or '_', starting with a letter or digit)"
        }
    }
}
