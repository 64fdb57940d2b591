import ArgumentParser
import Shared

/// The Azure flags every command that talks to a gateway accepts.
struct AzureFlags: ParsableArguments {
    @Option(help: "Azure subscription name or ID (default: AZURE_SUBSCRIPTION_ID, else az's default subscription).")
    var subscription: String?

    @Option(help: "Azure cloud as az names it: AzureCloud, AzureChinaCloud, AzureUSGovernment or one registered with 'az cloud register'.")
    var cloud: String?

    @Option(
        name: .customLong("api-version"), help: "ARM api-version for Application Gateway calls (default: \(ARMClient.defaultAPIVersion)).")
    var apiVersion: String?

    var options: AzureOptions { AzureOptions(subscription: subscription, cloud: cloud, apiVersion: apiVersion) }
}

/// `-o` for commands that print results.
extension OutputFormat: ExpressibleByArgument {}

/// `--frontend`.
extension FrontendChoice: ExpressibleByArgument {}
