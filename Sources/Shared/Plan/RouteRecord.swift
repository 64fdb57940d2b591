import Foundation

/// What an exposed Service's `kubectl-agw.io/route` annotation records: the Service port, the names of the
/// gateway entries the tool owns, the frontend port entry its listener uses, and (once, the first time) an
/// adopted portal route's original state. `annotation(for:previous:)` writes it; `init?(_:)` reads it;
/// status judges drift against it and unexpose removes exactly what it names.
public struct RouteRecord: Sendable, Equatable {
    public var port: Int
    public var pool: String
    public var settings: String?
    public var probe: String?
    public var listener: String?
    public var rule: String?
    public var pathMap: String?
    public var pathRule: String?
    /// The name of the frontend port entry the listener uses (one the tool created, or the gateway's own).
    public var frontendPort: String?
    /// The portal-default route the tool took over, with what it held before.
    public var adopted: AdoptedRoute?

    public init(
        port: Int, pool: String, settings: String? = nil, probe: String? = nil, listener: String? = nil, rule: String? = nil,
        pathMap: String? = nil, pathRule: String? = nil, frontendPort: String? = nil, adopted: AdoptedRoute? = nil
    ) {
        self.port = port
        self.pool = pool
        self.settings = settings
        self.probe = probe
        self.listener = listener
        self.rule = rule
        self.pathMap = pathMap
        self.pathRule = pathRule
        self.frontendPort = frontendPort
        self.adopted = adopted
    }

    public init?(_ text: String?) {
        guard let text, let json = try? JSON.parse(text), let pool = json["pool"]?.stringValue else { return nil }
        port = json["port"]?.intValue ?? 0
        self.pool = pool
        settings = json["settings"]?.stringValue
        probe = json["probe"]?.stringValue
        listener = json["listener"]?.stringValue
        rule = json["rule"]?.stringValue
        pathMap = json["pathMap"]?.stringValue
        pathRule = json["pathRule"]?.stringValue
        frontendPort = json["frontendPort"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let adopted = json["adopted"], let rule = adopted["rule"]?.stringValue, let pool = adopted["pool"]?.stringValue,
            let settings = adopted["settings"]?.stringValue
        {
            self.adopted = AdoptedRoute(
                rule: rule, pool: pool, originalSettingsID: settings, originalAddresses: adopted["addresses"] ?? .array([]))
        }
    }

    /// The annotation value for a planned route. An adoption is recorded the first time only: later runs see
    /// the route already theirs, so the record from `previous` is kept.
    public static func annotation(for route: ExposedRoute, previous: String?) -> JSON {
        var record = JSONObject()
        record["port"] = .int(route.port)
        record["pool"] = .string(route.pool)
        for (key, value) in [
            ("settings", route.settings), ("probe", route.probe), ("listener", route.listener), ("rule", route.rule),
            ("pathMap", route.pathMap), ("pathRule", route.pathRule),
        ] {
            if let value { record[key] = .string(value) }
        }
        record["frontendPort"] = .string(route.frontendPortName)
        let earlier = previous.flatMap { try? JSON.parse($0) }?["adopted"]
        if let adopted = route.adopted, !adopted.originalSettingsID.isEmpty {
            record["adopted"] = [
                "rule": .string(adopted.rule), "pool": .string(adopted.pool), "settings": .string(adopted.originalSettingsID),
                "addresses": adopted.originalAddresses,
            ]
        } else if let earlier, route.adopted != nil {
            record["adopted"] = earlier
        }
        return .object(record)
    }
}
