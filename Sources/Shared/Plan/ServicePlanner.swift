import Foundation

/// The annotations kubectl-agw reads and writes on a Service.
public enum ServiceAnnotations {
    public static let internalLoadBalancer = "service.beta.kubernetes.io/azure-load-balancer-internal"
    public static let internalSubnet = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet"
    public static let ipv4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
    /// The gateway's resource ID.
    public static let gateway = "kubectl-agw.io/gateway"
    /// JSON: the Service port and the names of the owned sub-resources (and an adopted route, if any).
    public static let route = "kubectl-agw.io/route"
}

/// A Service named on the command line: `svc/NAME`, `service/NAME`, `services/NAME` or `NAME`.
public struct ServiceReference: Sendable, Equatable, CustomStringConvertible {
    public var name: String

    public init(parsing text: String) throws(ServicePlanError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1: name = parts[0]
        case 2:
            guard ["svc", "service", "services"].contains(parts[0].lowercased()) else { throw .notAService(text) }
            name = parts[1]
        default: throw .notAService(text)
        }
        guard Self.isDNSLabel(name) else { throw .invalidName(text) }
        self.name = name
    }

    public var description: String { "svc/\(name)" }

    /// Service names are RFC 1035 labels: lower-case letters, digits and '-', starting with a letter, at most 63.
    static func isDNSLabel(_ name: String) -> Bool {
        guard let first = name.first, let last = name.last, name.count <= 63, first.isLetter, last.isLetter || last.isNumber else {
            return false
        }
        return name.allSatisfy { ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "-" } && name.allSatisfy(\.isASCII)
    }
}

/// Why the Service side cannot go ahead; nothing has been written when one is thrown.
public enum ServicePlanError: Error, Equatable, CustomStringConvertible, Sendable {
    case notAService(String)
    case invalidName(String)
    case noTCPPort(service: String)
    case severalPorts(service: String, ports: [String])
    case portNotFound(service: String, requested: String, ports: [String])
    case loadBalancerClass(service: String, className: String)
    case externalName(service: String)
    case publicAddressRequested(service: String, address: String)
    case confirmationRequired(service: String, publicIPs: [String])

    public var description: String {
        switch self {
        case .notAService(let text):
            return "\"\(text)\" is not a Service; name it as svc/NAME, service/NAME or NAME"
        case .invalidName(let text):
            return "\"\(text)\" is not a valid Service name (lower-case letters, digits and '-', starting with a letter)"
        case .noTCPPort(let service):
            return "Service \(service) has no TCP port; an Application Gateway can only reach TCP (HTTP) ports"
        case .severalPorts(let service, let ports):
            return "Service \(service) has several TCP ports (\(ports.joined(separator: ", "))); choose one with --port"
        case .portNotFound(let service, let requested, let ports):
            return "Service \(service) has no port \(requested) (it has \(ports.joined(separator: ", "))); check --port"
        case .loadBalancerClass(let service, let className):
            return
                "Service \(service) has loadBalancerClass \(className), so the Azure cloud provider ignores it and will never give it an internal IP"
        case .externalName(let service):
            return "Service \(service) is an ExternalName Service and has no load balancer to put behind a gateway"
        case .publicAddressRequested(let service, let address):
            return "--ip \(address) for \(service) is not a private address; an internal load balancer needs one from your VNet (RFC 1918)"
        case .confirmationRequired(let service, let publicIPs):
            return
                "Service \(service) has the public IP \(publicIPs.joined(separator: ", ")), which Azure deletes when the Service turns internal; run again with --yes to go ahead"
        }
    }
}

/// What the Service needs: a merge patch (nil when it already has everything) and what to tell the user.
public struct ServicePlan: Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var port: ServicePort
    public var patch: JSON?
    /// Public ingress IPs that go away when the Service turns internal (ask before that happens).
    public var publicIPsToLose: [String]
    /// Tools that may undo the annotation on their next sync.
    public var managedBy: [String]
    /// The internal IP it already has, if any (no wait needed when the patch changes nothing).
    public var currentPrivateIP: String?
}

/// Plans the Service side of an expose: pure.
public enum ServicePlanner {
    /// Picks the port: `--port NAME|NUMBER`, else the Service's only TCP port.
    public static func port(of service: Service, requested: String?) throws(ServicePlanError) -> ServicePort {
        let tcp = service.ports.filter { $0.protocol.uppercased() == "TCP" }
        let described = tcp.map { port in port.name.map { "\($0)=\(port.port)" } ?? String(port.port) }
        if let requested, !requested.isEmpty {
            let match = tcp.first { $0.name == requested || String($0.port) == requested }
            guard let match else { throw .portNotFound(service: service.name, requested: requested, ports: described) }
            return match
        }
        guard !tcp.isEmpty else { throw .noTCPPort(service: service.name) }
        guard tcp.count == 1 else { throw .severalPorts(service: service.name, ports: described) }
        return tcp[0]
    }

    /// The merge patch that makes the Service an internal load balancer owned by this expose.
    public static func plan(
        _ service: Service, port: ServicePort, subnet: String?, ip: String?, gatewayID: String, route: JSON, confirmed: Bool
    ) throws(ServicePlanError) -> ServicePlan {
        if service.type == "ExternalName" { throw .externalName(service: service.name) }
        if let className = service.loadBalancerClass { throw .loadBalancerClass(service: service.name, className: className) }
        if let ip, !PrivateAddress.isPrivate(ip) { throw .publicAddressRequested(service: service.name, address: ip) }
        let annotations = service.annotations
        let isInternal = annotations[ServiceAnnotations.internalLoadBalancer] == "true"
        let publicIPs = isInternal ? [] : service.ingressIPs.filter { !PrivateAddress.isPrivate($0) }
        if !publicIPs.isEmpty && !confirmed { throw .confirmationRequired(service: service.name, publicIPs: publicIPs) }

        var wanted: [(String, String)] = [
            (ServiceAnnotations.internalLoadBalancer, "true"), (ServiceAnnotations.gateway, gatewayID),
            (ServiceAnnotations.route, route.serialized()),
        ]
        if let subnet { wanted.append((ServiceAnnotations.internalSubnet, subnet)) }
        if let ip { wanted.append((ServiceAnnotations.ipv4, ip)) }
        var annotationPatch = JSONObject()
        for (key, value) in wanted where annotations[key] != value { annotationPatch[key] = .string(value) }
        var patch = JSONObject()
        if !annotationPatch.isEmpty { patch["metadata"] = ["annotations": .object(annotationPatch)] }
        if service.type != "LoadBalancer" { patch["spec"] = ["type": "LoadBalancer"] }
        let privateIP = isInternal ? service.ingressIPs.first(where: PrivateAddress.isPrivate) : nil
        return ServicePlan(
            namespace: service.namespace, name: service.name, port: port, patch: patch.isEmpty ? nil : .object(patch),
            publicIPsToLose: publicIPs, managedBy: managers(of: service), currentPrivateIP: privateIP)
    }

    /// Helm, Argo CD and Flux leave marks; a later sync of theirs may flip the Service back to public.
    static func managers(of service: Service) -> [String] {
        var found: [String] = []
        let labels = service.labels
        let annotations = service.annotations
        if labels["app.kubernetes.io/managed-by"] == "Helm" || annotations.keys.contains(where: { $0.hasPrefix("meta.helm.sh/") }) {
            found.append("Helm")
        }
        if annotations.keys.contains(where: { $0.hasPrefix("argocd.argoproj.io/") }) || labels.keys.contains("argocd.argoproj.io/instance")
            || service.fieldManagers.contains("argocd-controller")
        {
            found.append("Argo CD")
        }
        if labels.keys.contains(where: { $0.hasPrefix("kustomize.toolkit.fluxcd.io/") || $0.hasPrefix("helm.toolkit.fluxcd.io/") })
            || service.fieldManagers.contains("kustomize-controller") || service.fieldManagers.contains("helm-controller")
        {
            found.append("Flux")
        }
        return found
    }

    /// `{service}` and `{namespace}` in `--hostname` and `--path`.
    public static func expand(_ template: String, namespace: String, service: String) -> String {
        template.replacingOccurrences(of: "{service}", with: service).replacingOccurrences(of: "{namespace}", with: namespace)
    }

    /// The readiness probe path of the pods' container serving `port` (by number or name), else `/`.
    public static func probePath(pods: [Pod], targetPort: String?) -> String {
        for pod in pods {
            let named = pod.namedPorts
            let probes = pod.readinessProbes
            if let match = probes.first(where: { probe in
                guard let targetPort else { return true }
                let probePort = Int(probe.port) ?? named[probe.port]
                let servicePort = Int(targetPort) ?? named[targetPort]
                return probePort == servicePort || probe.port == targetPort
            }) {
                return match.path.isEmpty ? "/" : match.path
            }
        }
        return "/"
    }
}

/// Which addresses are private: RFC 1918, RFC 6598 (shared address space) and IPv6 unique local (fc00::/7).
public enum PrivateAddress {
    public static func isPrivate(_ address: String) -> Bool {
        if address.contains(":") {
            let first = address.lowercased().split(separator: ":").first.map(String.init) ?? ""
            guard let value = UInt16(first, radix: 16) else { return false }
            return value & 0xFE00 == 0xFC00
        }
        let octets = address.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return false }
        switch (octets[0], octets[1]) {
        case (10, _): return true
        case (172, 16...31): return true
        case (192, 168): return true
        case (100, 64...127): return true
        default: return false
        }
    }
}
