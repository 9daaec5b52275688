# Warnings and sanitizers are INTERFACE targets that only our own targets link.
add_library(portalscan_warnings INTERFACE)
target_compile_options(portalscan_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)

add_library(portalscan_sanitizers INTERFACE)
if(PORTALSCAN_SANITIZE)
  target_compile_options(portalscan_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(portalscan_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# portalscan_add_library(<layer> SOURCES ... [DEPENDS ...] [PRIVATE_DEPENDS ...])
# makes the target portalscan_<layer>, alias portalscan::<layer>, with public
# headers under <layer>/include.
function(portalscan_add_library layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  set(target portalscan_${layer})
  add_library(${target} ${ARG_SOURCES})
  add_library(portalscan::${layer} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
  target_link_libraries(${target} PUBLIC ${ARG_DEPENDS}
                        PRIVATE ${ARG_PRIVATE_DEPENDS} portalscan_warnings portalscan_sanitizers)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
