import Foundation

/// Everything that can be wrong with a kubeconfig or the flags that override it.
public enum KubeconfigError: Error, Equatable, CustomStringConvertible, Sendable {
    case explicitFileMissing(path: String)
    case unreadable(path: String, reason: String)
    case invalidYAML(path: String, reason: String)
    case invalidField(path: String, field: String, reason: String)
    case duplicateName(path: String, list: String, name: String)
    case noConfiguration(searched: [String])
    case noCurrentContext(files: [String])
    case contextNotFound(String, files: [String])
    case clusterNotFound(String)
    case userNotFound(String)
    case noServer(cluster: String)
    case invalidServer(String)
    case invalid(String)
    case azureAuthProviderRemoved(user: String)
    case unsupportedAuthProvider(name: String, user: String)
    case invalidRequestTimeout(String)

    public var description: String {
        switch self {
        case .explicitFileMissing(let path):
            return "stat \(path): no such file or directory (the file given with --kubeconfig must exist)"
        case .unreadable(let path, let reason):
            return "error loading config file \"\(path)\": \(reason)"
        case .invalidYAML(let path, let reason):
            return "error loading config file \"\(path)\": \(reason)"
        case .invalidField(let path, let field, let reason):
            return "error loading config file \"\(path)\": \(field): \(reason)"
        case .duplicateName(let path, let list, let name):
            return "error loading config file \"\(path)\": duplicate name \"\(name)\" in \(list)"
        case .noConfiguration(let searched):
            let places = searched.isEmpty ? "" : " (looked in \(searched.joined(separator: ", ")))"
            return
                "no kubeconfig found\(places); set KUBECONFIG or pass --kubeconfig, or run 'az aks get-credentials -g <group> -n <cluster>'"
        case .noCurrentContext(let files):
            return
                "no current context is set in \(files.joined(separator: ", ")); run 'kubectl config use-context <context>' or pass --context"
        case .contextNotFound(let name, let files):
            return "context \"\(name)\" does not exist in \(files.joined(separator: ", ")); run 'kubectl config get-contexts' to list them"
        case .clusterNotFound(let name):
            return "invalid configuration: cluster \"\(name)\" does not exist; run 'kubectl config get-clusters' to list them"
        case .userNotFound(let name):
            return "invalid configuration: auth info \"\(name)\" does not exist; run 'kubectl config get-users' to list them"
        case .noServer(let cluster):
            return "invalid configuration: no server found for cluster \"\(cluster)\"; set clusters[].cluster.server or pass --server"
        case .invalidServer(let server):
            return "invalid configuration: server \"\(server)\" is not an http(s) URL"
        case .invalid(let message):
            return "invalid configuration: \(message)"
        case .azureAuthProviderRemoved(let user):
            return
                "user \"\(user)\" uses auth-provider \"azure\", which was removed in Kubernetes 1.26; run 'kubelogin convert-kubeconfig -l azurecli' (or another login mode) and try again"
        case .unsupportedAuthProvider(let name, let user):
            return
                "user \"\(user)\" uses auth-provider \"\(name)\", which kubectl-agw does not support; switch that user to an exec credential plugin"
        case .invalidRequestTimeout(let value):
            return "invalid --request-timeout \"\(value)\": use a whole number of seconds or a duration such as 30s, 2m or 1h"
        }
    }
}
