# FindRapidJSON: RapidJSON 1.1.0 (Debian rapidjson-dev) exports only variables;
# wrap its headers in the interface target RapidJSON::RapidJSON.
include(FindPackageHandleStandardArgs)
find_path(RapidJSON_INCLUDE_DIR rapidjson/document.h)
find_package_handle_standard_args(RapidJSON REQUIRED_VARS RapidJSON_INCLUDE_DIR)
if(RapidJSON_FOUND AND NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RapidJSON_INCLUDE_DIR}"
    # SSE4.2 string scanning is safe on every x86-64 CI machine we target;
    # std::string support lets schemas use std::string keys.
    INTERFACE_COMPILE_DEFINITIONS "RAPIDJSON_HAS_STDSTRING=1")
endif()
mark_as_advanced(RapidJSON_INCLUDE_DIR)
