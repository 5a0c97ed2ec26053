// Renders /v1/openapi.json with Swagger UI. An external script, not inline,
// so that the page's Content-Security-Policy can forbid inline scripts.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json", // relative to /v1/docs: /v1/openapi.json
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // never call swagger.io
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
  });
});
