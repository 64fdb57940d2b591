import Foundation

/// A running sandbox: the local cluster seeded with a `frontend` app, and the files a client needs to
/// reach it (kubeconfig with a fresh token, mode 0600). Nothing secret is printed.
public final class SandboxSession: Sendable {
    public let kubernetes: KubernetesEndpoint
    public let azure: AzureEndpoint
    public let stateDirectory: String
    public let tenantID: String
    public let kubeconfigPath: String
    public let caPath: String

    /// The seeded gateway's resource group and name.
    public static let resourceGroup = "agw-sandbox-rg"
    public static let gatewayName = "mygw"
    static let workloadClientID = "0d6f2b8e-4c1a-4e7b-9f3d-6a8c2e5b1f07"

    private init(
        kubernetes: KubernetesEndpoint, azure: AzureEndpoint, tenantID: String, stateDirectory: String, kubeconfigPath: String,
        caPath: String
    ) {
        self.kubernetes = kubernetes
        self.azure = azure
        self.tenantID = tenantID
        self.stateDirectory = stateDirectory
        self.kubeconfigPath = kubeconfigPath
        self.caPath = caPath
    }

    /// Starts the local servers, seeds them and writes the client files into `stateDirectory`.
    public static func start(
        stateDirectory: String, kubernetesPort: Int = 0, loadBalancerDelay: Duration = .seconds(2),
        operationDuration: Duration = .seconds(4)
    ) async throws
        -> SandboxSession
    {
        try FileManager.default.createDirectory(
            atPath: stateDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let token = "sandbox-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        let ca = try CertificateAuthority()
        let kubernetes = try await KubernetesEndpoint.start(
            options: .init(tokens: [token: "sandbox-admin"], loadBalancer: LoadBalancerOptions(delay: loadBalancerDelay)),
            ca: ca, port: kubernetesPort)
        try await seed(kubernetes.api)

        // Azure: a workload identity whose federated token sits in a 0600 file, so nothing secret is printed.
        let federatedToken = "sandbox-federated-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        var azureOptions = LocalAzure.Options()
        azureOptions.federatedCredentials = [workloadClientID: federatedToken]
        azureOptions.operationDuration = operationDuration
        let azure = try await AzureEndpoint.start(options: azureOptions, ca: ca)
        let api = kubernetes.api
        await azure.azure.setProber { address, port, host, path in
            await api.probe(address: address, port: port, host: host, path: path)
        }
        let subscription = await azure.azure.subscriptionIDs.first ?? ""
        try await azure.azure.seed(SeedGateways.portalStyle(subscription: subscription, resourceGroup: resourceGroup, name: gatewayName))
        try await azure.writeAzureConfig(to: stateDirectory + "/azure")
        try write(federatedToken, to: stateDirectory + "/federated-token")
        let kubeconfigPath = stateDirectory + "/kubeconfig"
        try write(kubernetes.kubeconfig(name: "agw-sandbox", credential: .token(token)), to: kubeconfigPath)
        let caPath = stateDirectory + "/ca.crt"
        try write(kubernetes.ca.certificatePEM, to: caPath)
        return SandboxSession(
            kubernetes: kubernetes, azure: azure, tenantID: await azure.azure.tenantID, stateDirectory: stateDirectory,
            kubeconfigPath: kubeconfigPath, caPath: caPath)
    }

    public func stop() async {
        await kubernetes.stop()
        await azure.stop()
    }

    /// The environment a client command runs with.
    public var environment: [String: String] {
        [
            "KUBECONFIG": kubeconfigPath, "AZURE_CONFIG_DIR": stateDirectory + "/azure", "REQUESTS_CA_BUNDLE": caPath,
            "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": Self.workloadClientID,
            "AZURE_FEDERATED_TOKEN_FILE": stateDirectory + "/federated-token", "AZURE_AUTHORITY_HOST": azure.url,
        ]
    }

    /// `export` lines for a shell.
    public var exportLines: String {
        environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\(Self.shellQuoted($0.value))" }.joined(separator: "\n")
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The demo app: a `frontend` Deployment with two ready pods (a readiness probe on /healthz) behind a `frontend`
    /// Service on a public load balancer.
    static func seed(_ api: LocalKubernetes) async throws {
        try await createApp(
            in: api, name: "frontend", serviceType: "LoadBalancer", podNames: ["frontend-7d9c6b5f4-x2k8p", "frontend-7d9c6b5f4-q7m4z"])
    }

    /// An app like the demo's: a Deployment NAME whose ready pods (labelled `app: NAME`) serve `readinessPath`
    /// on their `http` port (8080), and a Service NAME of `serviceType` on port 80 → `http`. The Deployment
    /// is stored with its status as a controller would leave it; nothing reconciles it.
    public static func createApp(
        in api: LocalKubernetes, name: String, namespace: String = "default", serviceType: String = "ClusterIP",
        readinessPath: String = "/healthz", podNames: [String]? = nil
    ) async throws {
        let pods = podNames ?? ["\(name)-1"]
        let container: Value = [
            "name": .string(name), "image": "nginx:1.27", "ports": [["name": "http", "containerPort": 8080]],
            "readinessProbe": ["httpGet": ["path": .string(readinessPath), "port": "http"]],
        ]
        try await api.create(
            "deployments", namespace: namespace,
            [
                "metadata": ["name": .string(name), "labels": ["app": .string(name)], "generation": 1],
                "spec": [
                    "replicas": .int(pods.count), "selector": ["matchLabels": ["app": .string(name)]],
                    "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [container]]],
                ],
                "status": [
                    "observedGeneration": 1, "replicas": .int(pods.count), "updatedReplicas": .int(pods.count),
                    "readyReplicas": .int(pods.count), "availableReplicas": .int(pods.count),
                ],
            ])
        for pod in pods {
            try await api.create(
                "pods", namespace: namespace,
                [
                    "metadata": ["name": .string(pod), "labels": ["app": .string(name)]],
                    "spec": ["containers": [container]],
                ])
        }
        try await api.create(
            "services", namespace: namespace,
            [
                "metadata": ["name": .string(name), "labels": ["app": .string(name)]],
                "spec": [
                    "type": .string(serviceType), "selector": ["app": .string(name)],
                    "ports": [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]],
                ],
            ])
    }

    private static func write(_ text: String, to path: String) throws {
        // Created 0600 before any byte is written, so the token is never readable by others.
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
