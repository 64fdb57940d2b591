import Foundation

/// A gateway as a change would leave it, and what changes. Expose and unexpose plans both give one.
public struct GatewayEdit: Sendable, Equatable {
    public var document: GatewayDocument
    public var changes: [GatewayChange]

    public init(document: GatewayDocument, changes: [GatewayChange]) {
        self.document = document
        self.changes = changes
    }

    public var isUnchanged: Bool { changes.isEmpty }
}

/// Writes one gateway change the safe way, for every command that changes a gateway: plan on the gateway
/// as read → back it up → PUT with `If-Match` → follow the operation → verify. A 412, 409 or busy 429 means
/// someone else changed or is changing the gateway: it is read again and the change planned again, so a
/// stale body is never sent and the other writer's change is never reverted.
struct GatewayWriter: Sendable {
    let arm: any ResourceManager
    let progress: any ProgressReporter
    let backups: BackupStore
    let pause: @Sendable (Duration) async throws -> Void

    /// What the write did: the gateway afterwards (the planned document with `noWait`), whether a PUT was sent.
    struct Outcome {
        var gateway: GatewayDocument
        var written: Bool
        var backup: String?
    }

    /// `plan` maps a gateway as read to the edit; `verify` checks the gateway after the update against the one
    /// before (beyond what `write` checks itself: that nothing it did not remove has gone).
    func write(
        first: GatewayDocument, operation: ARMOperation, noWait: Bool, timeout: Duration, unchanged: String,
        plan: (GatewayDocument) throws -> GatewayEdit, verify: (GatewayDocument) throws -> Void
    ) async throws -> Outcome {
        let id = first.id.description
        var backup: String?
        for attempt in 1...5 {
            let current = attempt == 1 ? first : try GatewayDocument(try await arm.get(id, operation: operation).body ?? .null)
            let edit = try plan(current)
            if edit.isUnchanged {
                progress.phase("gateway \(current.name) \(unchanged): unchanged")
                return Outcome(gateway: current, written: false, backup: backup)
            }
            backup = try backups.save(current)
            progress.phase("updating gateway \(current.name): \(edit.changes.map(\.description).joined(separator: ", "))")
            progress.note("backup of the gateway before the change: \(backup ?? "")")
            let initial: ARMResponse
            do {
                initial = try await arm.put(id, body: edit.document.json, ifMatch: current.etag, operation: operation)
            } catch let error as ARMError where Self.isConflict(error) {
                // Someone else changed or is changing the gateway: read it again and re-plan; never resend a stale body.
                progress.note("the gateway changed or is busy (\(error.code ?? "conflict")); reading it again")
                try await pause(.seconds(min(2 * attempt, 10)))
                continue
            }
            if noWait {
                progress.phase("update accepted; not waiting for it (--no-wait)")
                return Outcome(gateway: edit.document, written: true, backup: backup)
            }
            progress.startWaiting("waiting for the gateway update to finish (on Azure this takes 20-70 s)")
            let states = ChangeFilter()
            let done: ARMResponse
            do {
                defer { progress.stopWaiting() }
                done = try await arm.waitForCompletion(
                    method: "PUT", path: id, initial: initial, operation: operation, timeout: timeout
                ) { [progress] state in
                    if states.isNew(state) { progress.note("gateway update: \(state)") }
                }
            }
            let final = try GatewayDocument(done.body ?? .null)
            try Self.checkNothingLost(before: current, after: final, removed: edit.changes.filter { $0.kind == .removed })
            try verify(final)
            progress.phase("gateway \(final.name) updated")
            return Outcome(gateway: final, written: true, backup: backup)
        }
        throw ExposeError.conflictRetriesExhausted(gateway: first.name)
    }

    static func isConflict(_ error: ARMError) -> Bool {
        if error.status == 412 || error.status == 409 { return true }
        return error.status == 429 && (error.code == "RetryableErrorDueToAnotherOperation" || error.code == "TooManyRequests")
    }

    /// Every entry that was on the gateway before the update, except those the change removed, is still there.
    static func checkNothingLost(before: GatewayDocument, after: GatewayDocument, removed: [GatewayChange]) throws {
        var missing: [String] = []
        for collection in GatewayDocument.Collection.allCases {
            for entry in before.items(collection) {
                guard let name = entry["name"]?.stringValue else { continue }
                let ours = removed.contains { $0.collection == collection && $0.name == name }
                if !ours && after.item(collection, named: name) == nil { missing.append("\(collection.rawValue)/\(name)") }
            }
        }
        if !missing.isEmpty {
            throw ExposeError.verificationFailed(
                "after the update the gateway no longer has \(missing.joined(separator: ", ")), which were there before; another writer replaced the gateway — check it now (a backup was saved before the update)"
            )
        }
    }
}
