import Foundation

/// How kubectl-agw names what it creates on a gateway. Sub-resources carry no tags, so the name is the
/// ownership record: every owned name starts with `agw-<cluster>-`, where `<cluster>` is six hex digits
/// derived from the cluster's API server address, so two clusters sharing a gateway never collide.
///
/// | what | name |
/// |---|---|
/// | backend pool | `agw-<cluster>-<namespace>-<service>-<port>-pool` |
/// | HTTP settings | `agw-<cluster>-<namespace>-<service>-<port>-settings` |
/// | probe | `agw-<cluster>-<namespace>-<service>-<port>-probe` |
/// | listener (one Service) | `agw-<cluster>-<namespace>-<service>-<port>-listener` |
/// | routing rule (one Service) | `agw-<cluster>-<namespace>-<service>-<port>-rule` |
/// | path rule inside a shared path map | `agw-<cluster>-<namespace>-<service>-<port>-path` |
/// | shared listener / path map / rule for `--path` | `agw-<cluster>-fe<frontend-port>[-<host hash>]-listener` / `-paths` / `-rule` |
/// | frontend port it had to create | `agw-<cluster>-port-<number>` |
///
/// Names longer than 80 characters (ARM's limit) keep their first 71 characters and end in `-` and the
/// first 8 hex digits of a hash of the full name, so they stay unique and deterministic.
public struct ResourceNaming: Sendable, Equatable {
    /// Six hex digits naming the cluster.
    public let cluster: String

    public init(cluster: String) { self.cluster = cluster }

    /// The discriminator for a cluster, from its API server URL (stable across contexts naming the same cluster).
    public init(server: URL) {
        let host = (server.host ?? server.absoluteString).lowercased()
        let port = server.port.map { ":\($0)" } ?? ""
        cluster = String(String(Self.fnv1a(host + port + server.path), radix: 16).suffix(6)).leftPadded(to: 6)
    }

    public var ownedPrefix: String { "agw-\(cluster)-" }

    public func owns(_ name: String) -> Bool { name.hasPrefix(ownedPrefix) }

    /// Whether a name has the shape of one kubectl-agw creates (`agw-` and six hex digits), for any cluster:
    /// unexpose removes only such names, so an entry someone else made is never deleted.
    public static func isOwned(_ name: String) -> Bool {
        let parts = name.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "agw", parts[1].count == 6, !parts[2].isEmpty else { return false }
        return parts[1].allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The base of the names for one Service port.
    public func base(namespace: String, service: String, port: Int) -> String { "agw-\(cluster)-\(namespace)-\(service)-\(port)" }

    public func pool(_ base: String) -> String { Self.bounded(base + "-pool") }
    public func settings(_ base: String) -> String { Self.bounded(base + "-settings") }
    public func probe(_ base: String) -> String { Self.bounded(base + "-probe") }
    public func listener(_ base: String) -> String { Self.bounded(base + "-listener") }
    public func rule(_ base: String) -> String { Self.bounded(base + "-rule") }
    public func pathRule(_ base: String) -> String { Self.bounded(base + "-path") }
    public func frontendPort(_ number: Int) -> String { "agw-\(cluster)-port-\(number)" }

    /// The base of a listener shared by several Services (`--path`): frontend port and host name.
    public func sharedBase(frontendPort: Int, host: String?) -> String {
        let hostPart = host.map { "-" + String(String(Self.fnv1a($0.lowercased()), radix: 16).suffix(8)).leftPadded(to: 8) } ?? ""
        return "agw-\(cluster)-fe\(frontendPort)\(hostPart)"
    }

    public func sharedListener(_ base: String) -> String { Self.bounded(base + "-listener") }
    public func sharedPathMap(_ base: String) -> String { Self.bounded(base + "-paths") }
    public func sharedRule(_ base: String) -> String { Self.bounded(base + "-rule") }

    /// ARM allows 80 characters; longer names are cut and made unique with a hash.
    public static func bounded(_ name: String) -> String {
        guard name.count > 80 else { return name }
        let hash = String(String(fnv1a(name), radix: 16).suffix(8)).leftPadded(to: 8)
        return String(name.prefix(71)) + "-" + hash
    }

    /// FNV-1a, 64 bit: small, stable across runs and platforms (Swift's Hasher is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
