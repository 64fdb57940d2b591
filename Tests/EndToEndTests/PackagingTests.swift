import Foundation
import TestSupport
import Testing

/// The krew archive and manifest `scripts/package.sh` makes, and install.sh run for real into a prefix.
@Suite("packaging")
struct PackagingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("package.sh: an archive with the plugin and LICENSE, and a manifest naming it with its sha256")
    func krewArchive() async throws {
        let work = try TemporaryDirectory()
        // A copy of what the script reads, so the test writes nothing into the checkout.
        for path in ["scripts", "plugins"] {
            try FileManager.default.createDirectory(atPath: work.path + "/" + path, withIntermediateDirectories: true)
        }
        for file in ["scripts/package.sh", "plugins/agw.yaml", "LICENSE"] {
            try FileManager.default.copyItem(atPath: Self.root + "/" + file, toPath: work.path + "/" + file)
        }
        let base = "https://github.com/example/kubectl-agw/releases/download/v1.2.3"
        let result = try await ChildProcess.run(
            "bash", [work.path + "/scripts/package.sh", "v1.2.3", base, BuiltProducts.directory], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let listing = try await ChildProcess.run("tar", ["-tzf", work.path + "/dist/kubectl-agw-linux-amd64.tar.gz"])
        #expect(Set(listing.stdout.split(separator: "\n").map(String.init)) == ["kubectl-agw", "LICENSE"])
        let sum = try await ChildProcess.run("sha256sum", [work.path + "/dist/kubectl-agw-linux-amd64.tar.gz"])
        let digest = String(sum.stdout.prefix(64))
        let manifest = try String(contentsOfFile: work.path + "/dist/agw.yaml", encoding: .utf8)
        #expect(manifest.contains("sha256: \"\(digest)\""))
        #expect(manifest.contains("uri: \"\(base)/kubectl-agw-linux-amd64.tar.gz\""))
        #expect(manifest.contains("version: \"v1.2.3\"") && manifest.contains("homepage: \"https://github.com/example/kubectl-agw\""))
        #expect(!manifest.contains("@"), "every placeholder is filled")
        #expect(manifest.contains("name: agw") && manifest.contains("bin: kubectl-agw") && manifest.contains("from: LICENSE"))

        let bad = try await ChildProcess.run("bash", [work.path + "/scripts/package.sh", "1.2", base, BuiltProducts.directory])
        #expect(bad.status == 1 && bad.stderr.contains("vMAJOR.MINOR.PATCH"))
    }

    @Test("install.sh --uninstall removes the binaries and the completer link, and nothing else")
    func uninstall() async throws {
        let prefix = try TemporaryDirectory()
        for name in ["kubectl-agw", "agw-sandbox"] { try prefix.script("bin/\(name)", "exit 0") }
        try FileManager.default.createSymbolicLink(atPath: prefix.path + "/bin/kubectl_complete-agw", withDestinationPath: "kubectl-agw")
        try prefix.script("bin/kubectl", "exit 0")
        let result = try await ChildProcess.run("bash", [Self.root + "/install.sh", "--prefix", prefix.path, "--uninstall"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: prefix.path + "/bin") == ["kubectl"])
        #expect(result.stdout.contains("removed \(prefix.path)/bin/kubectl_complete-agw"))
        let unknown = try await ChildProcess.run("bash", [Self.root + "/install.sh", "--frobnicate"])
        #expect(unknown.status == 1 && unknown.stderr.split(separator: "\n").count == 1)
    }
}
