import Foundation
import Shared

/// The cluster and Azure connections a command needs, resolved from its flags and the environment. The
/// cluster side is resolved at once (the namespace is needed to check the inputs); Azure when asked, so a
/// usage error is reported before any Azure configuration is read. Resolving reads files only.
struct Connections {
    let environment: [String: String]
    let rest: RESTConfig
    let azureFlags: AzureFlags

    init(kube: KubeFlags, azure: AzureFlags, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        rest = try ClientConfigResolver(environment: environment).resolve(kube.overrides)
        azureFlags = azure
    }

    var kubernetes: KubernetesClient { KubernetesClient(config: rest) }

    func azure() throws -> AzureEnvironment { try AzureEnvironment.resolve(azureFlags.options, environment: environment) }
}
