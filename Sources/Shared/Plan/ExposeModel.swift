import Foundation

/// One Service port to put behind the gateway, with everything the cluster told us about it.
public struct ExposeTarget: Sendable, Equatable {
    public var namespace: String
    public var service: String
    /// The Service port (`spec.ports[].port`): what the internal load balancer listens on.
    public var port: Int
    /// The internal load balancer's IP (during validation, before it exists, a placeholder).
    public var address: String
    /// What the gateway's probe asks for: `--probe-path`, else the pods' readiness path, else `/`.
    public var probePath: String
    /// The listener's host name (`--hostname`, placeholders expanded).
    public var hostName: String?
    /// The URL path prefix (`--path`, placeholders expanded), e.g. `/web`.
    public var path: String?

    public init(
        namespace: String, service: String, port: Int, address: String, probePath: String = "/", hostName: String? = nil,
        path: String? = nil
    ) {
        self.namespace = namespace
        self.service = service
        self.port = port
        self.address = address
        self.probePath = probePath
        self.hostName = hostName
        self.path = path
    }
}

/// Which of the gateway's frontend IP configurations a listener uses.
public enum FrontendChoice: String, Sendable, Equatable, CaseIterable {
    case `public`
    case `private`
}

/// The gateway-side choices of one expose.
public struct ExposeSettings: Sendable, Equatable {
    /// nil: public when the gateway has a public frontend, else private.
    public var frontend: FrontendChoice?
    public var frontendPort: Int
    public var priority: Int?
    /// The manual flow: add the IP to this existing pool and create nothing else.
    public var backendPool: String?
    /// Go on even though the ingress controller (AGIC) manages the gateway.
    public var force: Bool

    public init(
        frontend: FrontendChoice? = nil, frontendPort: Int = 80, priority: Int? = nil, backendPool: String? = nil, force: Bool = false
    ) {
        self.frontend = frontend
        self.frontendPort = frontendPort
        self.priority = priority
        self.backendPool = backendPool
        self.force = force
    }
}

/// A portal-default route the tool took over, and what to put back when it is unexposed.
public struct AdoptedRoute: Sendable, Equatable {
    public var rule: String
    public var pool: String
    /// The rule's HTTP settings before adoption.
    public var originalSettingsID: String
    /// The pool's `backendAddresses` before adoption (usually empty).
    public var originalAddresses: JSON

    public init(rule: String, pool: String, originalSettingsID: String, originalAddresses: JSON) {
        self.rule = rule
        self.pool = pool
        self.originalSettingsID = originalSettingsID
        self.originalAddresses = originalAddresses
    }
}

/// What one target got on the gateway: the names, the listener and the rule.
public struct ExposedRoute: Sendable, Equatable {
    public var namespace: String
    public var service: String
    public var port: Int
    public var address: String
    public var frontend: FrontendChoice
    public var frontendIPConfiguration: String
    public var frontendPort: Int
    public var frontendPortName: String
    public var hostName: String?
    public var path: String?
    public var pool: String
    public var settings: String?
    public var probe: String?
    public var listener: String?
    public var rule: String?
    public var pathMap: String?
    public var pathRule: String?
    public var priority: Int?
    public var adopted: AdoptedRoute?
}

/// One entry the plan adds or changes, for the dry-run diff and the summary.
public struct GatewayChange: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case added, changed, removed }
    public var kind: Kind
    public var collection: GatewayDocument.Collection
    public var name: String

    public init(kind: Kind, collection: GatewayDocument.Collection, name: String) {
        self.kind = kind
        self.collection = collection
        self.name = name
    }

    public var description: String {
        let sign: String
        switch kind {
        case .added: sign = "+"
        case .changed: sign = "~"
        case .removed: sign = "-"
        }
        return "\(sign) \(collection.rawValue)/\(name)"
    }
}

/// The gateway after the plan, what changed, and what each target got. Equatable, so tests compare plans.
public struct GatewayPlan: Sendable, Equatable {
    public var document: GatewayDocument
    public var changes: [GatewayChange]
    public var routes: [ExposedRoute]

    /// Nothing to write: the gateway already holds exactly this.
    public var isUnchanged: Bool { changes.isEmpty }

    public var edit: GatewayEdit { GatewayEdit(document: document, changes: changes) }
}

/// Why a plan cannot be made; each message says what to do instead. Nothing has been written when one is thrown.
public enum PlanError: Error, Equatable, CustomStringConvertible, Sendable {
    case notV2(gateway: String, sku: String)
    case notRunning(gateway: String, operational: String, provisioning: String)
    case managedByIngressController(gateway: String)
    case noFrontend(gateway: String, wanted: FrontendChoice, available: [String])
    case portInUse(port: Int, frontend: String, listener: String, rule: String?)
    case listenerTaken(listener: String, host: String, port: Int)
    case samePortWithoutRoutes(port: Int, services: [String])
    case priorityTaken(priority: Int, rule: String)
    case priorityOutOfRange(Int)
    case noFreePriority
    case rulesWithoutPriority(gateway: String, rules: [String])
    case limit(collection: String, count: Int, limit: Int)
    case backendPoolMissing(pool: String, available: [String])
    case mixedRouting

    public var description: String {
        switch self {
        case .notV2(let gateway, let sku):
            return
                "gateway \(gateway) is a \(sku) gateway; kubectl-agw supports v2 gateways (Standard_v2, WAF_v2) — migrate it or choose another with --gateway"
        case .notRunning(let gateway, let operational, let provisioning):
            return
                "gateway \(gateway) is \(operational) with provisioning state \(provisioning); wait for it to be Running and Succeeded (az network application-gateway show -g <group> -n \(gateway) --query operationalState), then run the command again"
        case .managedByIngressController(let gateway):
            return
                "gateway \(gateway) is managed by the Application Gateway Ingress Controller (tag managed-by-k8s-ingress), which deletes configuration it does not own within seconds; use another gateway, or pass --force if AGIC is configured to leave it alone"
        case .noFrontend(let gateway, let wanted, let available):
            return
                "gateway \(gateway) has no \(wanted.rawValue) frontend IP configuration (it has: \(available.isEmpty ? "none" : available.joined(separator: ", "))); pass --frontend \(wanted == .public ? "private" : "public")"
        case .portInUse(let port, let frontend, let listener, let rule):
            let ruleText = rule.map { " (rule \($0))" } ?? ""
            return
                "port \(port) on frontend \(frontend) is already served by listener \(listener)\(ruleText) without a host name; pass --hostname to add a multi-site listener, --frontend-port to use another port, or --backend-pool to add the Service to an existing pool"
        case .listenerTaken(let listener, let host, let port):
            return
                "host \(host) on port \(port) is already served by listener \(listener), which kubectl-agw does not own; pass another --hostname or --frontend-port"
        case .samePortWithoutRoutes(let port, let services):
            return
                "\(services.joined(separator: ", ")) would all need port \(port) without a host name or path; give each its own host with --hostname '{service}.example.com' or one listener with --path '/{service}'"
        case .priorityTaken(let priority, let rule):
            return
                "priority \(priority) is already used by rule \(rule); pick another --priority or leave it out to use the lowest free one"
        case .priorityOutOfRange(let priority):
            return "--priority \(priority) is out of range; use 1-18999 (19000-20000 belongs to the ingress controller)"
        case .noFreePriority:
            return "no rule priority below 19000 is free on this gateway; remove unused rules first"
        case .rulesWithoutPriority(let gateway, let rules):
            return
                "gateway \(gateway) has routing rules without a priority (\(rules.joined(separator: ", "))), which ARM refuses on any update since api-version 2021-08-01; give them priorities first"
        case .limit(let collection, let count, let limit):
            return "the gateway would have \(count) \(collection), more than Azure's limit of \(limit); remove unused ones first"
        case .backendPoolMissing(let pool, let available):
            return "the gateway has no backend pool named \(pool) (it has: \(available.joined(separator: ", "))); check --backend-pool"
        case .mixedRouting:
            return "either every target uses --path or none does"
        }
    }
}
