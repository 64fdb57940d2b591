import Foundation

/// Backend health in plain words: what the gateway's verdict and probe log mean and what to check.
public enum HealthAdvice {
    public static func explain(health: String, log: String) -> String? {
        let lowered = log.lowercased()
        switch health {
        case "Up": return nil
        case "Partial":
            return
                "some of the gateway's instances reach the backend and some do not: check NSG rules or route tables that cover only part of the gateway subnet, and with externalTrafficPolicy: Local that every node the load balancer uses runs a ready pod"
        case "Draining":
            return "the backend is being drained (connection draining in the HTTP settings); it takes no new requests until it is Up again"
        case "Unknown":
            return
                "the gateway cannot run its probes: its subnet's NSG must allow inbound GatewayManager on TCP 65200-65535 and AzureLoadBalancer, and no route table may send 0.0.0.0/0 elsewhere"
        default:
            if lowered.contains("could not connect") || lowered.contains("connection") {
                return
                    "the gateway cannot reach the internal load balancer: check the AKS subnet's NSG, the Service's loadBalancerSourceRanges (they must include the gateway subnet), that both VNets are the same or peered, and the Service port"
            }
            if lowered.contains("status code") || lowered.contains("did not match") {
                return
                    "the app answered the probe with a status outside 200-399: check --probe-path (the pods' readiness path) and --hostname"
            }
            if lowered.contains("timeout") || lowered.contains("time taken") {
                return "the app answers the probe too slowly: check the pods' load, or the probe timeout"
            }
            return "the backend fails its probe; see the probe log"
        }
    }
}
