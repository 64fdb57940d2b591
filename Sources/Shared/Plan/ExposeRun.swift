import Foundation

/// `kubectl agw expose`'s inputs, typed and checked before anything is read or written.
public struct ExposeOptions: Sendable, Equatable {
    public var targets: [ServiceReference]
    public var namespace: String
    public var gateway: String
    public var resourceGroup: String?
    public var port: String?
    public var settings: ExposeSettings
    public var hostName: String?
    public var path: String?
    public var probePath: String?
    public var subnet: String?
    public var ip: String?
    public var timeout: Duration
    public var dryRun: Bool
    public var noWait: Bool
    public var yes: Bool

    public init(
        targets: [ServiceReference], namespace: String, gateway: String, resourceGroup: String? = nil, port: String? = nil,
        settings: ExposeSettings = ExposeSettings(), hostName: String? = nil, path: String? = nil, probePath: String? = nil,
        subnet: String? = nil, ip: String? = nil, timeout: Duration = .seconds(600), dryRun: Bool = false, noWait: Bool = false,
        yes: Bool = false
    ) {
        self.targets = targets
        self.namespace = namespace
        self.gateway = gateway
        self.resourceGroup = resourceGroup
        self.port = port
        self.settings = settings
        self.hostName = hostName
        self.path = path
        self.probePath = probePath
        self.subnet = subnet
        self.ip = ip
        self.timeout = timeout
        self.dryRun = dryRun
        self.noWait = noWait
        self.yes = yes
    }

    /// Checks that need no cluster or Azure: they fail fast with one line.
    public func validate() throws(ExposeError) {
        guard !targets.isEmpty else { throw .usage("name at least one Service, e.g. kubectl agw expose svc/frontend --gateway mygw") }
        let names = targets.map(\.name)
        if Set(names).count != names.count { throw .usage("a Service is named twice: \(names.joined(separator: ", "))") }
        if targets.count > 1 {
            if let host = hostName, !host.contains("{service}") && path == nil {
                throw .usage(
                    "--hostname '\(host)' would give every Service the same host; put {service} in it (e.g. '{service}.apps.example.com') or use --path '/{service}'"
                )
            }
            if let path, !path.contains("{service}") {
                throw .usage("--path '\(path)' would send every Service the same path; put {service} in it, e.g. --path '/{service}'")
            }
            if hostName == nil && path == nil && settings.backendPool == nil {
                throw .usage(
                    "\(names.count) Services on port \(settings.frontendPort) need their own routes: add --hostname '{service}.apps.example.com' or --path '/{service}'"
                )
            }
            if ip != nil { throw .usage("--ip names one address and cannot be shared by \(names.count) Services; expose them one by one") }
        }
        if let path, !path.hasPrefix("/") { throw .usage("--path must start with '/', e.g. --path /web") }
        if let probePath, !probePath.hasPrefix("/") { throw .usage("--probe-path must start with '/', e.g. --probe-path /healthz") }
        guard (1...65535).contains(settings.frontendPort) else {
            throw .usage("--frontend-port \(settings.frontendPort) is not a port (1-65535)")
        }
        if let priority = settings.priority, !(1...GatewayPlanner.highestPriority).contains(priority) {
            throw .usage(PlanError.priorityOutOfRange(priority).description)
        }
        if let ip, !PrivateAddress.isPrivate(ip) {
            throw .usage("--ip \(ip) is not a private address (RFC 1918); an internal load balancer needs one")
        }
        if let host = hostName, host.contains(" ") || host.contains("/") { throw .usage("--hostname '\(host)' is not a host name") }
        guard timeout > .zero else { throw .usage("--timeout must be positive, e.g. 10m") }
    }
}

/// Expose failures that are not a layer's own error.
public enum ExposeError: Error, Equatable, CustomStringConvertible, Sendable {
    case usage(String)
    case publicIPOnly(service: String, ip: String)
    case loadBalancerFailed(service: String, message: String)
    case conflictRetriesExhausted(gateway: String)
    case verificationFailed(String)

    public var description: String {
        switch self {
        case .usage(let message): return message
        case .publicIPOnly(let service, let ip):
            return
                "Service \(service) only got the public IP \(ip), never an internal one; check that the cluster's cloud provider honours service.beta.kubernetes.io/azure-load-balancer-internal (a public IP never goes into the gateway)"
        case .loadBalancerFailed(let service, let message):
            return "Azure could not create the internal load balancer for \(service): \(message)"
        case .conflictRetriesExhausted(let gateway):
            return "gateway \(gateway) kept changing under kubectl-agw; nothing of ours was written; run the command again"
        case .verificationFailed(let message): return message
        }
    }
}

/// One exposed Service in the result (`-o json` item).
public struct ExposeItem: Sendable, Equatable {
    public var namespace: String
    public var service: String
    public var ip: String
    public var gateway: String
    public var route: ExposedRoute
    public var changed: Bool
    public var health: String
    public var healthLog: String?
    public var advice: String?

    public var json: JSON {
        var listener = JSONObject()
        listener["name"] = route.listener.map(JSON.string) ?? .null
        listener["frontend"] = .string(route.frontend.rawValue)
        listener["frontendIPConfiguration"] = .string(route.frontendIPConfiguration)
        listener["port"] = .int(route.frontendPort)
        listener["hostName"] = route.hostName.map(JSON.string) ?? .null
        listener["path"] = route.path.map(JSON.string) ?? .null
        var object = JSONObject()
        object["namespace"] = .string(namespace)
        object["service"] = .string(service)
        object["port"] = .int(route.port)
        object["ip"] = .string(ip)
        object["gateway"] = .string(gateway)
        object["listener"] = .object(listener)
        object["pool"] = .string(route.pool)
        object["rule"] = route.rule.map(JSON.string) ?? .null
        object["priority"] = route.priority.map(JSON.int) ?? .null
        object["probe"] = route.probe.map(JSON.string) ?? .null
        object["adoptedDefaultRoute"] = .bool(route.adopted != nil)
        object["changed"] = .bool(changed)
        object["health"] = .string(health)
        object["healthProbeLog"] = healthLog.map(JSON.string) ?? .null
        object["advice"] = advice.map(JSON.string) ?? .null
        return .object(object)
    }
}

/// What an expose did.
public struct ExposeResult: Sendable, Equatable {
    public var items: [ExposeItem]
    public var gatewayWritten: Bool
    public var backupPath: String?

    public var json: JSON { ["items": .array(items.map(\.json))] }
}
