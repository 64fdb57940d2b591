import Foundation
import Shared
import Testing

@Suite("planning the Service side of expose")
struct ServicePlannerTests {
    static func service(
        type: String = "LoadBalancer", annotations: JSON = [:], labels: JSON = [:], ports: JSON? = nil, ingress: [String] = []
    ) -> Service {
        Service([
            "metadata": ["name": "web", "namespace": "shop", "resourceVersion": "7", "annotations": annotations, "labels": labels],
            "spec": [
                "type": .string(type), "selector": ["app": "web"],
                "ports": ports ?? [["name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"]],
            ],
            "status": ["loadBalancer": ["ingress": .array(ingress.map { ["ip": .string($0)] })]],
        ])
    }

    static let route: JSON = ["port": 80, "pool": "agw-c0ffee-shop-web-80-pool"]
    static let gateway = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/mygw"

    @Test(
        "targets are svc/NAME, service/NAME, services/NAME or NAME",
        arguments: ["svc/web", "service/web", "services/web", "web", "SVC/web"])
    func references(_ text: String) throws {
        #expect(try ServiceReference(parsing: text).name == "web")
    }

    @Test("other kinds and bad names are refused", arguments: ["deploy/web", "svc/Web", "svc/", "a/b/c", "9web", "web_1"])
    func badReferences(_ text: String) {
        #expect(throws: ServicePlanError.self) { try ServiceReference(parsing: text) }
    }

    @Test("a ClusterIP Service becomes an internal LoadBalancer owned by the gateway, in one merge patch")
    func patchFromClusterIP() throws {
        let service = Self.service(type: "ClusterIP")
        let port = try ServicePlanner.port(of: service, requested: nil)
        let plan = try ServicePlanner.plan(
            service, port: port, subnet: "ilb-subnet", ip: "10.224.5.5", gatewayID: Self.gateway, route: Self.route, confirmed: false)
        #expect(
            plan.patch == [
                "metadata": [
                    "annotations": [
                        "service.beta.kubernetes.io/azure-load-balancer-internal": "true", "kubectl-agw.io/gateway": .string(Self.gateway),
                        "kubectl-agw.io/route": .string(Self.route.serialized()),
                        "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": "ilb-subnet",
                        "service.beta.kubernetes.io/azure-load-balancer-ipv4": "10.224.5.5",
                    ]
                ],
                "spec": ["type": "LoadBalancer"],
            ])
        #expect(plan.publicIPsToLose.isEmpty)
    }

    @Test("a public Service needs confirmation, because its public IP goes away")
    func publicNeedsConfirmation() throws {
        let service = Self.service(ingress: ["20.62.130.4"])
        let port = try ServicePlanner.port(of: service, requested: nil)
        #expect(throws: ServicePlanError.confirmationRequired(service: "web", publicIPs: ["20.62.130.4"])) {
            try ServicePlanner.plan(service, port: port, subnet: nil, ip: nil, gatewayID: Self.gateway, route: Self.route, confirmed: false)
        }
        let plan = try ServicePlanner.plan(
            service, port: port, subnet: nil, ip: nil, gatewayID: Self.gateway, route: Self.route, confirmed: true)
        #expect(plan.publicIPsToLose == ["20.62.130.4"])
    }

    @Test("an already internal, owned Service needs no patch and keeps its private IP")
    func nothingToDo() throws {
        let annotations: JSON = [
            "service.beta.kubernetes.io/azure-load-balancer-internal": "true", "kubectl-agw.io/gateway": .string(Self.gateway),
            "kubectl-agw.io/route": .string(Self.route.serialized()),
        ]
        let service = Self.service(annotations: annotations, ingress: ["10.224.0.4"])
        let plan = try ServicePlanner.plan(
            service, port: try ServicePlanner.port(of: service, requested: nil), subnet: nil, ip: nil,
            gatewayID: Self.gateway, route: Self.route, confirmed: false)
        #expect(plan.patch == nil)
        #expect(plan.currentPrivateIP == "10.224.0.4")
    }

    @Test("--port picks by name or number; several TCP ports need it; a missing one lists the real ones")
    func ports() throws {
        let service = Self.service(ports: [
            ["name": "http", "port": 80, "protocol": "TCP"], ["name": "metrics", "port": 9090, "protocol": "TCP"],
            ["name": "dns", "port": 53, "protocol": "UDP"],
        ])
        #expect(try ServicePlanner.port(of: service, requested: "metrics").port == 9090)
        #expect(try ServicePlanner.port(of: service, requested: "80").name == "http")
        #expect(throws: ServicePlanError.severalPorts(service: "web", ports: ["http=80", "metrics=9090"])) {
            try ServicePlanner.port(of: service, requested: nil)
        }
        #expect(throws: ServicePlanError.portNotFound(service: "web", requested: "8080", ports: ["http=80", "metrics=9090"])) {
            try ServicePlanner.port(of: service, requested: "8080")
        }
    }

    @Test("Services the cloud provider ignores, and public --ip values, are refused")
    func refused() throws {
        let classed = Service([
            "metadata": ["name": "web"], "spec": ["type": "LoadBalancer", "loadBalancerClass": "example.com/lb", "ports": [["port": 80]]],
        ])
        #expect(throws: ServicePlanError.loadBalancerClass(service: "web", className: "example.com/lb")) {
            try ServicePlanner.plan(
                classed, port: ServicePort(port: 80), subnet: nil, ip: nil, gatewayID: Self.gateway, route: Self.route, confirmed: true)
        }
        #expect(throws: ServicePlanError.publicAddressRequested(service: "web", address: "8.8.8.8")) {
            try ServicePlanner.plan(
                Self.service(), port: ServicePort(port: 80), subnet: nil, ip: "8.8.8.8", gatewayID: Self.gateway, route: Self.route,
                confirmed: true)
        }
    }

    @Test("Helm, Argo CD and Flux are recognised so the user can be warned")
    func managers() throws {
        let helm = Self.service(annotations: ["meta.helm.sh/release-name": "web"], labels: ["app.kubernetes.io/managed-by": "Helm"])
        let plan = try ServicePlanner.plan(
            helm, port: ServicePort(port: 80), subnet: nil, ip: nil, gatewayID: Self.gateway, route: Self.route, confirmed: true)
        #expect(plan.managedBy == ["Helm"])
        let argo = Self.service(labels: ["argocd.argoproj.io/instance": "shop"])
        #expect(
            try ServicePlanner.plan(
                argo, port: ServicePort(port: 80), subnet: nil, ip: nil, gatewayID: Self.gateway, route: Self.route, confirmed: true
            ).managedBy == ["Argo CD"])
    }

    @Test(
        "private addresses: RFC 1918, RFC 6598 and IPv6 ULA",
        arguments: [
            ("10.0.0.1", true), ("172.16.0.1", true), ("172.31.255.255", true), ("172.32.0.1", false), ("192.168.1.1", true),
            ("100.64.0.1", true), ("100.128.0.1", false), ("20.62.130.4", false), ("fd00::1", true), ("2001:db8::1", false),
            ("nonsense", false),
        ])
    func privateAddresses(_ address: String, _ expected: Bool) {
        #expect(PrivateAddress.isPrivate(address) == expected)
    }

    @Test("placeholders and the readiness probe path")
    func placeholdersAndProbe() {
        #expect(
            ServicePlanner.expand("{service}.{namespace}.apps.example.com", namespace: "shop", service: "web")
                == "web.shop.apps.example.com")
        let pod = Pod([
            "spec": [
                "containers": [
                    [
                        "name": "sidecar", "ports": [["name": "admin", "containerPort": 9000]],
                        "readinessProbe": ["httpGet": ["path": "/admin/ready", "port": "admin"]],
                    ],
                    [
                        "name": "web", "ports": [["name": "http", "containerPort": 8080]],
                        "readinessProbe": ["httpGet": ["path": "/healthz", "port": 8080]],
                    ],
                ]
            ]
        ])
        #expect(
            ServicePlanner.probePath(pods: [pod], targetPort: "http") == "/healthz", "the probe of the container serving the target port")
        #expect(ServicePlanner.probePath(pods: [pod], targetPort: "9000") == "/admin/ready")
        #expect(ServicePlanner.probePath(pods: [], targetPort: "http") == "/")
    }
}
