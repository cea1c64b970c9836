{{/* Names and labels. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else if contains (include "sluice.name" .) .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "sluice.name" .) | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* registry/repository:tag@digest; the schema requires registry and repository. */}}
{{- define "sluice.image" -}}
{{- $image := .Values.image }}
{{- printf "%s/%s:%s" (trimSuffix "/" $image.registry) (trimPrefix "/" $image.repository) (default .Chart.AppVersion $image.tag) }}
{{- with $image.digest }}@{{ . }}{{ end }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A workload's pod template settings from the chart-wide defaults, its tier's and (egress) its pool's: maps merged,
the later winning; anything else the last one set.
*/}}
{{- define "sluice.placement" -}}
{{- $out := dict }}
{{- range $key := list "podAnnotations" "podLabels" "nodeSelector" }}
{{- $merged := dict }}
{{- range $source := $.sources }}{{ $merged = mergeOverwrite $merged (deepCopy (index $source $key | default dict)) }}{{ end }}
{{- $_ := set $out $key $merged }}
{{- end }}
{{- range $key := list "antiAffinity" "topologySpreadConstraints" "priorityClassName" "tolerations" }}
{{- range $source := $.sources }}{{ with index $source $key }}{{ $_ := set $out $key . }}{{ end }}{{ end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* "true" where the Prometheus Operator's API is served (or extraApiVersions says so), else empty. */}}
{{- define "sluice.operatorApi" -}}
{{- if or (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") (has "monitoring.coreos.com/v1" .Values.extraApiVersions) }}true{{ end }}
{{- end }}

{{/* The inbound pods' minReadySeconds: inbound.minReadySeconds, else the BIG-IP's bigip.memberReadyDelaySeconds. */}}
{{- define "sluice.inboundMinReadySeconds" -}}
{{- .Values.inbound.minReadySeconds | toString | default (toString .Values.bigip.memberReadyDelaySeconds) }}
{{- end }}

{{/* The workloads: the inbound tier, then one per egress pool, each a dict the templates loop over. */}}
{{- define "sluice.workloads" -}}
{{- $root := . }}
{{- $fullname := include "sluice.fullname" . }}
{{- $list := list }}
{{- if .Values.inbound.enabled }}
{{- $in := .Values.inbound }}
{{- $minReady := include "sluice.inboundMinReadySeconds" . }}
{{- $list = append $list (dict "name" (printf "%s-inbound" $fullname) "tier" "inbound" "pool" ""
    "replicas" $in.replicas "preStopSeconds" $in.preStopSeconds "minReadySeconds" (atoi $minReady)
    "resources" $in.resources "podDisruptionBudget" $in.podDisruptionBudget
    "autoscaling" $in.autoscaling "port" $in.port "portName" "smtp"
    "placement" (include "sluice.placement" (dict "sources" (list .Values $in)) | fromJson)) }}
{{- end }}
{{- range $pool, $spec := .Values.egress.pools }}
{{- $eg := $root.Values.egress }}
{{- $list = append $list (dict "name" (printf "%s-egress-%s" $fullname $pool) "tier" "egress" "pool" $pool
    "replicas" (default 2 $spec.replicas) "preStopSeconds" $eg.preStopSeconds "minReadySeconds" $eg.minReadySeconds
    "resources" $eg.resources "podDisruptionBudget" $eg.podDisruptionBudget
    "autoscaling" (dict "enabled" false) "port" $eg.port "portName" "relay" "ipPool" $spec.ipPool
    "placement" (include "sluice.placement" (dict "sources" (list $root.Values $eg $spec)) | fromJson)) }}
{{- end }}
{{- toJson (dict "items" $list) }}
{{- end }}

{{/* Selector labels of one workload: release, tier and, for egress, the pool. */}}
{{- define "sluice.workloadSelector" -}}
{{ include "sluice.selectorLabels" .root }}
app.kubernetes.io/component: {{ .w.tier }}
{{- if .w.pool }}
sluice.io/egress-pool: {{ .w.pool }}
{{- end }}
{{- end }}

{{/* Grace period: the preStop sleep, then the drain's announce and timeout, then a margin to exit. */}}
{{- define "sluice.graceSeconds" -}}
{{- add .w.preStopSeconds .root.Values.drain.announceSeconds .root.Values.drain.timeoutSeconds .root.Values.drain.marginSeconds }}
{{- end }}

{{/* Where the pod mounts its configuration and secrets; the rendered configuration names these paths. */}}
{{- define "sluice.configDir" -}}/etc/sluice/config{{- end }}
{{- define "sluice.secretDir" -}}/etc/sluice/secrets{{- end }}
{{- define "sluice.tlsDir" -}}/etc/sluice/tls{{- end }}

{{- define "sluice.adminSecretName" -}}
{{- default (printf "%s-admin" (include "sluice.fullname" .)) .Values.admin.existingSecret }}
{{- end }}

{{- define "sluice.hasAdminTokens" -}}
{{- if or .Values.admin.tokens .Values.admin.existingSecret }}true{{ end }}
{{- end }}

{{- define "sluice.clusterSecretDir" -}}/etc/sluice/cluster{{- end }}

{{- define "sluice.clusterSecretName" -}}
{{- default (printf "%s-cluster" (include "sluice.fullname" .)) .Values.cluster.existingSecret }}
{{- end }}

{{- define "sluice.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "sluice.fullname" .)) .Values.inbound.tls.existingSecret }}
{{- end }}

{{/* The sections every Sluice configuration of the release shares, for one tier's Hazelcast cluster. */}}
{{- define "sluice.commonConfig" -}}
{{- $root := .root }}
{{- $fullname := include "sluice.fullname" $root }}
{{- $service := printf "%s-%s-hz.%s.svc.%s" $fullname .tier $root.Release.Namespace $root.Values.clusterDomain }}
{{- $cluster := dict "mode" "embedded" "name" (printf "%s-%s" $fullname .tier)
    "bind" (printf "0.0.0.0:%d" (int $root.Values.cluster.port)) "discovery" "kubernetes"
    "kubernetes-service" $service }}
{{- range $key, $value := $root.Values.cluster }}
{{- if not (has $key (list "port" "secret" "existingSecret")) }}{{ $_ := set $cluster $key $value }}{{ end }}
{{- end }}
{{- $_ := set $cluster "secret-file" (printf "%s/cluster-secret" (include "sluice.clusterSecretDir" $root)) }}
{{- $admin := dict "bind" (printf "0.0.0.0:%d" (int $root.Values.admin.port)) "open-health" true
    "open-metrics" (index $root.Values.admin "open-metrics") }}
{{- if include "sluice.hasAdminTokens" $root }}
{{- $_ := set $admin "token-file" (printf "%s/admin-tokens" (include "sluice.secretDir" $root)) }}
{{- end }}
{{- $drain := dict "announce" (printf "%ds" (int $root.Values.drain.announceSeconds))
    "timeout" (printf "%ds" (int $root.Values.drain.timeoutSeconds)) }}
{{- toYaml (dict "smtp" $root.Values.smtp "cluster" $cluster "admin" $admin "drain" $drain) }}
{{- end }}

{{/* The inbound tier's configuration file. */}}
{{- define "sluice.inboundConfig" -}}
{{- $in := .Values.inbound }}
{{- $listener := dict "name" "mx" "role" "inbound" "bind" (printf "0.0.0.0:%d" (int $in.port)) "backend-pool" "mta" }}
{{- if $in.proxyProtocol.enabled }}
{{- $_ := set $listener "proxy-protocol" (dict "trusted" $in.proxyProtocol.trusted "timeout" $in.proxyProtocol.timeout) }}
{{- end }}
{{- if $in.tls.enabled }}
{{- $dir := include "sluice.tlsDir" . }}
{{- $_ := set $listener "tls" (dict "cert" (printf "%s/tls.crt" $dir) "key" (printf "%s/tls.key" $dir)) }}
{{- end }}
{{- $config := include "sluice.commonConfig" (dict "root" . "tier" "inbound") | fromYaml }}
{{- $_ := set $config "listeners" (list $listener) }}
{{- $_ := set $config "backends" (dict "mta" $in.backend) }}
{{- $_ := set $config "policy" $in.policy }}
{{- toYaml $config }}
{{- end }}

{{/*
One egress pool's configuration file. The source address is the pod's own, drawn from the pool's Calico IPPool:
the container puts its address in place of the marker before it starts Sluice.
*/}}
{{- define "sluice.egressConfig" -}}
{{- $root := .root }}
{{- $eg := $root.Values.egress }}
{{- $spec := index $eg.pools .pool }}
{{- $listener := dict "name" "relay" "role" "outbound" "bind" (printf "0.0.0.0:%d" (int $eg.port))
    "egress-pool" .pool "allowed-clients" $eg.allowedClients }}
{{- if $eg.allowedClientsOpen }}{{ $_ := set $listener "allowed-clients-open" true }}{{ end }}
{{- $poolConfig := dict "sources" (list (dict "address" "__POD_IP__" "helo" $spec.helo)) }}
{{- if $spec.selection }}{{ $_ := set $poolConfig "selection" $spec.selection }}{{ end }}
{{- if $spec.tls }}{{ $_ := set $poolConfig "tls" $spec.tls }}{{ end }}
{{- $egress := dict "connect-timeout" (index $eg "connect-timeout") "pools" (dict .pool $poolConfig) }}
{{- if $eg.dns }}{{ $_ := set $egress "dns" $eg.dns }}{{ end }}
{{- range $key := list "allowed-destinations" "denied-destinations" "sites" "reuse" "mta-sts" }}
{{- if index $eg $key }}{{ $_ := set $egress $key (index $eg $key) }}{{ end }}
{{- end }}
{{- /* Present even when empty: feedback: [] turns the default set off. */}}
{{- if hasKey $eg "feedback" }}{{ $_ := set $egress "feedback" $eg.feedback }}{{ end }}
{{- $config := include "sluice.commonConfig" (dict "root" $root "tier" "egress") | fromYaml }}
{{- $_ := set $config "listeners" (list $listener) }}
{{- $_ := set $config "egress" $egress }}
{{- $_ := set $config "policy" $eg.policy }}
{{- toYaml $config }}
{{- end }}

{{/* The configuration file of one workload. */}}
{{- define "sluice.workloadConfig" -}}
{{- if eq .w.tier "inbound" }}
{{- include "sluice.inboundConfig" .root }}
{{- else }}
{{- include "sluice.egressConfig" (dict "root" .root "pool" .w.pool) }}
{{- end }}
{{- end }}

{{/* Changes with the Secrets the chart makes, so new tokens or certificates roll the pods. */}}
{{- define "sluice.secretChecksum" -}}
{{- list .Values.admin.tokens .Values.admin.existingSecret .Values.inbound.tls | toJson | sha256sum }}
{{- end }}
