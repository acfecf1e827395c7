# Turns config/bucketwatch.yaml into a C++ source so the binary carries its documented default.
file(READ ${INPUT} BW_YAML)
set(BW_DELIM "bwcfg")
string(FIND "${BW_YAML}" ")${BW_DELIM}\"" BW_CLASH)
if(NOT BW_CLASH EQUAL -1)
  message(FATAL_ERROR "config/bucketwatch.yaml contains the raw-string delimiter )${BW_DELIM}\"")
endif()
file(WRITE ${OUTPUT} "// Generated from config/bucketwatch.yaml; do not edit.\n"
  "#include \"sensor/config/embedded_config.h\"\n"
  "namespace bw::config {\n"
  "std::string_view EmbeddedDefaultConfig() {\n"
  "  static constexpr char kYaml[] = R\"${BW_DELIM}(${BW_YAML})${BW_DELIM}\";\n"
  "  return {kYaml, sizeof(kYaml) - 1};\n"
  "}\n"
  "}  // namespace bw::config\n")
