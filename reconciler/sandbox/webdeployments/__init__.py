"""The Web Deployments emulator (docs/api-notes.md#webdeployments): configurations,
deployments, flows and supported content, one kind route per module, with what orgs may
answer differently as knobs (``knobs.WebDeploymentKnobs``, ``SandboxConfig.webdeployments``) on the
app's injected clock.
"""
