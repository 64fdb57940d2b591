import Foundation

extension LocalKubernetes {
    /// What a gateway probe to `address:port` would see: the Service that owns that load-balancer IP, its
    /// ready pods, and whether they answer `path` with 2xx/3xx (the simulated app answers 200 on its
    /// readiness path and 404 elsewhere, as an app with a health endpoint and no `/` route does).
    public func probe(address: String, port: Int, host: String?, path: String) async -> ProbeResult {
        let services = await store.list("services", namespace: nil, fields: .everything, labels: .everything).items
        let owner = services.first { (service: Value) -> Bool in
            let ingress: [Value] = service.lookup("status.loadBalancer.ingress")?.array ?? []
            return ingress.contains { (entry: Value) in entry["ip"]?.string == address }
        }
        guard let service = owner else {
            return ProbeResult(
                health: "Down",
                log:
                    "Application Gateway could not connect to the backend. Check that the backend responds on the port used for the probe. Also check whether any NSG/UDR/Firewall is blocking access to the backend. (No load balancer answers at \(address).)"
            )
        }
        let name = service.lookup("metadata.name")?.string ?? ""
        let namespace = service.lookup("metadata.namespace")?.string ?? ""
        let ports: [Value] = service.lookup("spec.ports")?.array ?? []
        guard ports.contains(where: { (entry: Value) in entry["port"]?.int == port }) else {
            return ProbeResult(
                health: "Down",
                log:
                    "Application Gateway could not connect to the backend. Check that the backend responds on the port used for the probe. (Service \(namespace)/\(name) has no port \(port).)"
            )
        }
        let selector = service.lookup("spec.selector")?.object ?? [:]
        let all: [Value] = await store.list("pods", namespace: namespace, fields: .everything, labels: .everything).items
        let pods = all.filter { (pod: Value) -> Bool in
            let labels: [String: Value] = pod.lookup("metadata.labels")?.object ?? [:]
            return !selector.isEmpty && selector.allSatisfy { (entry: (key: String, value: Value)) in labels[entry.key] == entry.value }
        }
        let ready = pods.filter { (pod: Value) -> Bool in
            let conditions: [Value] = pod.lookup("status.conditions")?.array ?? []
            return conditions.contains { (condition: Value) in condition["type"]?.string == "Ready" && condition["status"]?.string == "True"
            }
        }
        guard let pod = ready.first else {
            return ProbeResult(
                health: "Down",
                log:
                    "Application Gateway could not connect to the backend. Check that the backend responds on the port used for the probe. (Service \(namespace)/\(name) has no ready pods.)"
            )
        }
        let containers: [Value] = pod.lookup("spec.containers")?.array ?? []
        let readinessPaths = containers.compactMap { (container: Value) in container.lookup("readinessProbe.httpGet.path")?.string }
        if readinessPaths.isEmpty || readinessPaths.contains(path) {
            return ProbeResult(health: "Up", log: "Success. Received 200 status code")
        }
        return ProbeResult(
            health: "Down",
            log:
                "Status code of the backend's HTTP response did not match the probe setting. Expected:200-399 Received:404. (The app answers \(readinessPaths.joined(separator: ", ")); the probe asked for \(path) on host \(host ?? "(none)").)"
        )
    }
}
