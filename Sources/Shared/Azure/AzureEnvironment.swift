import Foundation

/// The Azure flags a command accepts, as typed.
public struct AzureOptions: Sendable, Equatable {
    public var subscription: String?
    public var cloud: String?
    public var apiVersion: String?

    public init(subscription: String? = nil, cloud: String? = nil, apiVersion: String? = nil) {
        self.subscription = subscription
        self.cloud = cloud
        self.apiVersion = apiVersion
    }
}

/// Everything needed to call ARM: the cloud, the subscription and an authenticated client. Resolving it
/// reads files and the environment but makes no request (credentials are acquired on first use).
public struct AzureEnvironment: Sendable {
    public let cloud: AzureCloud
    public let subscription: String
    public let arm: ARMClient

    public static func resolve(_ options: AzureOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> AzureEnvironment
    {
        let config = AzureCLIConfig(environment: environment)
        let cloud = try config.cloud(named: options.cloud)
        let subscription = try SubscriptionResolver(config: config, environment: environment).resolve(
            requested: options.subscription, cloud: cloud)
        let context = CredentialContext(environment: environment)
        let credential = try ChainedCredential.standard(context: context)
        if let version = options.apiVersion, !Self.isAPIVersion(version) {
            throw ARMError.configuration("--api-version '\(version)' is not an api-version (YYYY-MM-DD or YYYY-MM-DD-preview)")
        }
        let arm = try ARMClient(
            cloud: cloud, credential: credential, apiVersion: options.apiVersion ?? ARMClient.defaultAPIVersion, caFile: context.caFile)
        return AzureEnvironment(cloud: cloud, subscription: subscription, arm: arm)
    }

    static func isAPIVersion(_ text: String) -> Bool {
        text.range(of: #"^\d{4}-\d{2}-\d{2}(-preview)?$"#, options: .regularExpression) != nil
    }
}
