import Foundation
import Semblance

/// Checks that the filtered benchmark's own machinery is right before its figures are trusted.
struct FilteredChecks {
    /// How much of groundtruth.ivecs's top k the exact scan finds unfiltered (1 = all; nil:
    /// the dataset has no ground truth).
    let truthAgreement: Double?
    /// Filters (case × query, over the first queries) whose `count(where:)` in the collection
    /// differs from the exact scan's count, and how many were compared.
    let countMismatches: Int
    let countsCompared: Int
    /// The fraction of queries whose exact nearest neighbour is in the cluster of the centroid
    /// nearest the query: how strongly `cluster` follows the vectors.
    let nearestInNearestCluster: Double

    init(
        dataset: Dataset, collection: VectorCollection, cases: [FilterCase], filters: [[QueryFilter]],
        truth: FilteredTruth, labels: FilterLabels, k: Int
    ) {
        let unfiltered = cases.firstIndex { $0.kind == .unfiltered }!
        if let groundTruth = dataset.groundTruth {
            let found = truth.nearest[unfiltered].enumerated().map { q, rows in
                Double(Set(rows).intersection(groundTruth[q].prefix(k)).count) / Double(k)
            }
            truthAgreement = found.reduce(0, +) / Double(found.count)
        } else {
            truthAgreement = nil
        }
        var mismatches = 0, compared = 0
        for c in cases.indices {
            for q in filters[c].indices.prefix(20) {
                guard let filter = filters[c][q].filter else { continue }
                compared += 1
                if collection.count(where: filter) != truth.matches[c][q] { mismatches += 1 }
            }
        }
        countMismatches = mismatches
        countsCompared = compared
        let nearestRows = truth.nearest[unfiltered]
        let inCluster = nearestRows.indices.filter { q in
            nearestRows[q].first.map { labels.cluster[$0] == labels.clusterOrder[q][0] } ?? false
        }.count
        nearestInNearestCluster = Double(inCluster) / Double(nearestRows.count)
    }

    var summary: String {
        "checks: exact scan vs groundtruth.ivecs top-10 \(truthAgreement.map { Report.format($0, 4) } ?? "n/a"); "
            + "count(where:) vs exact scan: \(countMismatches) of \(countsCompared) differ; "
            + "queries whose nearest neighbour is in their nearest cluster: \(Report.format(nearestInNearestCluster * 100, 1))%"
    }

    var json: [String: Any] {
        [
            "exact_scan_vs_groundtruth_ivecs": truthAgreement.map { $0 as Any } ?? NSNull(),
            "count_where_mismatches": countMismatches, "count_where_compared": countsCompared,
            "nearest_neighbour_in_nearest_cluster": nearestInNearestCluster,
        ]
    }
}
