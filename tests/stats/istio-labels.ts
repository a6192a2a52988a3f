// Istio's standard HTTP metric labels, in the order Istio's bootstrap stats_tags list them. Written out
// here, independently of the filter's own table, so the tests check the filter against Istio's order.
export const ISTIO_HTTP_LABELS = [
  "reporter", "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
  "source_principal", "source_app", "source_version", "source_cluster", "destination_workload",
  "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
  "destination_service", "destination_canonical_service", "destination_canonical_revision", "destination_service_name",
  "destination_service_namespace", "destination_cluster", "request_protocol", "response_code", "grpc_response_status",
  "response_flags", "connection_security_policy",
];
