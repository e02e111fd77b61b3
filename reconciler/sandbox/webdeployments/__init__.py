"""The Web Deployments emulator (contract ``genesys-webdeployments.md``): configurations,
deployments, flows and supported content, one kind route per module, with the contract's
behaviours as knobs (``knobs.WebDeploymentKnobs``, ``SandboxConfig.webdeployments``) on the
app's injected clock.
"""
