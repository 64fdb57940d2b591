import Foundation

/// The local Azure listening on 127.0.0.1: Entra ID and ARM over HTTPS (one port), managed identity over
/// plain http (another port), and the az-style files a client reads to find them.
public final class AzureEndpoint: Sendable {
    public let azure: LocalAzure
    public let server: LocalHTTPSServer
    public let identityServer: LocalHTTPSServer
    public let ca: CertificateAuthority

    /// The custom cloud's name in `clouds.config`.
    public static let cloudName = "AgwSandbox"

    public var url: String { server.baseURL }
    public var identityURL: String { identityServer.baseURL }

    private init(azure: LocalAzure, server: LocalHTTPSServer, identityServer: LocalHTTPSServer, ca: CertificateAuthority) {
        self.azure = azure
        self.server = server
        self.identityServer = identityServer
        self.ca = ca
    }

    public static func start(options: LocalAzure.Options = .init(), ca: CertificateAuthority? = nil, port: Int = 0) async throws
        -> AzureEndpoint
    {
        let ca = try ca ?? CertificateAuthority()
        let azure = LocalAzure(options: options)
        let server = try await LocalHTTPSServer.start(ca: ca, port: port) { request in
            if request.path.lowercased().hasPrefix("/subscriptions") {
                return await azure.handleARM(request)
            }
            return await azure.handleEntra(request)
        }
        let identityServer = try await LocalHTTPSServer.start(ca: nil) { request in
            await azure.handleManagedIdentity(request)
        }
        await azure.setBaseURL(server.baseURL)
        return AzureEndpoint(azure: azure, server: server, identityServer: identityServer, ca: ca)
    }

    public func stop() async {
        await server.stop()
        await identityServer.stop()
    }

    /// Writes an az configuration folder: the sandbox registered as a custom cloud and made active, and
    /// (optionally) a signed-in profile whose default subscription is the first one.
    public func writeAzureConfig(to directory: String, signedIn: Bool = true) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clouds = """
            [\(Self.cloudName)]
            endpoint_resource_manager = \(url)/
            endpoint_active_directory = \(url)
            endpoint_active_directory_resource_id = https://management.core.windows.net/
            profile = latest

            """
        try clouds.write(toFile: directory + "/clouds.config", atomically: true, encoding: .utf8)
        try "[cloud]\nname = \(Self.cloudName)\n\n[core]\ninstance_discovery = false\n".write(
            toFile: directory + "/config", atomically: true, encoding: .utf8)
        guard signedIn else { return }
        let tenant = await azure.tenantID
        let subscriptions = await azure.subscriptionIDs
        let entries: [Value] = subscriptions.enumerated().map { index, id in
            [
                "id": .string(id), "name": .string(index == 0 ? "agw-sandbox" : "agw-sandbox-\(index)"), "state": "Enabled",
                "user": ["name": "sandbox-user@example.com", "type": "user"], "isDefault": .bool(index == 0), "tenantId": .string(tenant),
                "environmentName": .string(Self.cloudName), "homeTenantId": .string(tenant), "managedByTenants": [],
            ]
        }
        // az writes this file with a UTF-8 byte-order mark; so do we, so clients are tested against it.
        var profile = Data([0xEF, 0xBB, 0xBF])
        profile.append((["installationId": "00000000-0000-0000-0000-000000000000", "subscriptions": .array(entries)] as Value).encoded())
        try profile.write(to: URL(fileURLWithPath: directory + "/azureProfile.json"))
    }

    /// Writes a stand-in `az` into `directory`: `account get-access-token` prints a token the local ARM
    /// accepts (or, with `signedIn: false`, az's "Please run 'az login'" error).
    public func writeFakeAzureCLI(to directory: String, signedIn: Bool = true) async throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/az"
        let script: String
        if signedIn {
            let (token, expires) = await azure.issueToken(principal: "sandbox-user@example.com")
            let tenant = await azure.tenantID
            let subscription = await azure.subscriptionIDs.first ?? ""
            let epoch = Int(expires.timeIntervalSince1970)
            let output: Value = [
                "accessToken": .string(token), "expiresOn": "2099-01-01 00:00:00.000000", "expires_on": .int(epoch),
                "subscription": .string(subscription), "tenant": .string(tenant), "tokenType": "Bearer",
            ]
            script = """
                #!/bin/sh
                # Stand-in for the Azure CLI, written by agw-sandbox.
                if [ "$1 $2" = "account get-access-token" ]; then
                  cat <<'JSON'
                \(output.text)
                JSON
                  exit 0
                fi
                echo "ERROR: the sandbox az only supports 'az account get-access-token'" >&2
                exit 2

                """
        } else {
            script = "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return path
    }
}

/// Gateways the sandbox starts with.
public enum SeedGateways {
    /// A Standard_v2 gateway as the portal's "create" wizard leaves it: a public and a private frontend IP,
    /// port 80, one listener and one rule routing to an empty backend pool ("add backend pool without targets").
    public static func portalStyle(subscription: String, resourceGroup: String, name: String, location: String = "westeurope") -> Value {
        let id = "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Network/applicationGateways/\(name)"
        let vnet = "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Network/virtualNetworks/agw-vnet"
        func ref(_ collection: String, _ child: String) -> Value { ["id": .string("\(id)/\(collection)/\(child)")] }
        return [
            "id": .string(id), "name": .string(name), "location": .string(location), "tags": [:],
            "properties": [
                "sku": ["name": "Standard_v2", "tier": "Standard_v2", "family": "Generation_1"],
                "autoscaleConfiguration": ["minCapacity": 0, "maxCapacity": 10],
                "gatewayIPConfigurations": [
                    ["name": "appGatewayIpConfig", "properties": ["subnet": ["id": .string("\(vnet)/subnets/appgw-subnet")]]]
                ],
                "frontendIPConfigurations": [
                    [
                        "name": "appGwPublicFrontendIpIPv4",
                        "properties": [
                            "privateIPAllocationMethod": "Dynamic",
                            "publicIPAddress": [
                                "id": .string(
                                    "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Network/publicIPAddresses/\(name)-pip"
                                )
                            ],
                        ],
                    ],
                    [
                        "name": "appGwPrivateFrontendIpIPv4",
                        "properties": [
                            "privateIPAddress": "10.225.0.10", "privateIPAllocationMethod": "Static",
                            "subnet": ["id": .string("\(vnet)/subnets/appgw-subnet")],
                        ],
                    ],
                ],
                "frontendPorts": [["name": "port_80", "properties": ["port": 80]]],
                "backendAddressPools": [["name": "defaultBackendPool", "properties": ["backendAddresses": []]]],
                "backendHttpSettingsCollection": [
                    [
                        "name": "defaultHttpSetting",
                        "properties": [
                            "port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled", "pickHostNameFromBackendAddress": false,
                            "requestTimeout": 20,
                        ],
                    ]
                ],
                "httpListeners": [
                    [
                        "name": "defaultListener",
                        "properties": [
                            "frontendIPConfiguration": ref("frontendIPConfigurations", "appGwPublicFrontendIpIPv4"),
                            "frontendPort": ref("frontendPorts", "port_80"), "protocol": "Http", "hostNames": [],
                            "requireServerNameIndication": false,
                        ],
                    ]
                ],
                "requestRoutingRules": [
                    [
                        "name": "defaultRule",
                        "properties": [
                            "ruleType": "Basic", "priority": 100, "httpListener": ref("httpListeners", "defaultListener"),
                            "backendAddressPool": ref("backendAddressPools", "defaultBackendPool"),
                            "backendHttpSettings": ref("backendHttpSettingsCollection", "defaultHttpSetting"),
                        ],
                    ]
                ],
                "probes": [], "urlPathMaps": [], "sslCertificates": [], "redirectConfigurations": [], "rewriteRuleSets": [],
                "enableHttp2": true,
            ],
        ]
    }
}
